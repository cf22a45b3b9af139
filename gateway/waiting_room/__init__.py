"""The virtual waiting room: admission control for booking and slot-search traffic in a rush (issue 23)."""
