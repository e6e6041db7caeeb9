// A real OpenID Connect provider (panva's certified oidc-provider) for the tests.
//
// Usage: node server.mjs CONFIG.json
// CONFIG: {"clients": [{client_id, client_secret, redirect_uris}],
//          "accounts": {"<login>": {email, email_verified, name, groups, ...}}}
// It listens on a free port of 127.0.0.1 and prints one line, "listening <port>", once ready.
//
// Sign-in: /interaction/<uid> is a plain form asking for a login (an account's key); the
// account is then signed in and the requested scopes granted (first-party, no consent page).
//
// Test-only: POST /__test/next-id-token {"change": "..."} alters the ID token of the next
// token response, as a broken or hostile provider (or a man in the middle) would:
//   expired        exp an hour ago, re-signed with the provider's own key
//   wrong_audience aud another client, re-signed with the provider's own key
//   wrong_issuer   iss another issuer, re-signed with the provider's own key
//   wrong_nonce    nonce another sign-in's, re-signed with the provider's own key
//   tampered       the email changed after signing (the signature no longer matches)
//   none           no ID token at all
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';

import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts || {};
const CHANGES = new Set(['expired', 'wrong_audience', 'wrong_issuer', 'wrong_nonce', 'tampered', 'none']);

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };

let nextChange = null;

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

async function alter(idToken, change) {
  const claims = decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  if (change === 'tampered') {
    const [header, , signature] = idToken.split('.');
    const payload = Buffer.from(JSON.stringify({ ...claims, email: 'mallory@example.com' })).toString('base64url');
    return `${header}.${payload}.${signature}`;
  }
  if (change === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  if (change === 'wrong_audience') claims.aud = 'another-client';
  if (change === 'wrong_issuer') claims.iss = 'http://issuer.invalid';
  if (change === 'wrong_nonce') claims.nonce = 'the-nonce-of-another-sign-in';
  const header = decodeProtectedHeader(idToken);
  return new SignJWT(claims).setProtectedHeader(header).sign(privateKey);
}

// The port is known once listening; the issuer (which has it) is set then.
const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients.map((c) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...c,
    })),
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    // the claims of the granted scopes go into the ID token itself
    conformIdTokenClaims: false,
    pkce: { methods: ['S256'], required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      if (!Object.hasOwn(accounts, id)) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) };
    },
    // first-party clients: grant what was asked, no consent page
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(ctx.oidc.params.scope);
      await grant.save();
      return grant;
    },
  });

  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.status === 200 && nextChange && ctx.body?.id_token) {
      const change = nextChange;
      nextChange = null;
      const body = { ...ctx.body };
      if (change === 'none') delete body.id_token;
      else body.id_token = await alter(body.id_token, change);
      ctx.body = body;
    }
  });

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    try {
      const url = new URL(req.url, issuer);
      if (req.method === 'POST' && url.pathname === '/__test/next-id-token') {
        const { change } = JSON.parse(await readBody(req));
        if (!CHANGES.has(change)) {
          res.writeHead(400).end(`unknown change ${change}`);
          return;
        }
        nextChange = change;
        res.writeHead(204).end();
        return;
      }
      const match = url.pathname.match(/^\/interaction\/([\w-]+)(\/login)?$/);
      if (match) {
        const details = await provider.interactionDetails(req, res);
        if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end(`<!doctype html><title>Test provider: sign in</title>
<h1>Test provider</h1>
<form method="post" action="/interaction/${escapeHtml(details.uid)}/login">
<label>Login <input name="login" autofocus></label>
<button type="submit">Sign in</button>
</form>`);
          return;
        }
        const login = new URLSearchParams(await readBody(req)).get('login') || '';
        if (!Object.hasOwn(accounts, login)) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(`no account ${login}`);
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: login } }, {
          mergeWithLastSubmission: false,
        });
        return;
      }
      callback(req, res);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    }
  });
  process.stdout.write(`listening ${port}\n`);
});
