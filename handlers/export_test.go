package handlers

// The widget's per-address budgets, for the tests that spend them.
var (
	VisitorsPerAddress   = visitorBudget.Limit
	IdentifiesPerAddress = identifyBudget.Limit
)
