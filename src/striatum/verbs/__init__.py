"""The verb registry and the verbs: one definition per verb, served by every door."""
