"""The numbers: plain functions for the debrief, calibration, question statistics and coverage."""
