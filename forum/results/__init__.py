"""Results for the Congress (issue 9): the ranking of each forum, its frozen and
verifiable snapshot when the forum closes, exports in the formats offices use, the
organizers' participation dashboard."""
