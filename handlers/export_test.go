package handlers

// The widget's per-address budgets, for the tests that spend them.
var (
	VisitorsPerAddress   = visitorBudget.Limit
	IdentifiesPerAddress = identifyBudget.Limit
)

// The launcher's status tokens, for the tests that forge and expire them.
var (
	StatusToken  = statusToken
	PreviewRunes = previewRunes
)

// WholeMinutes is how a wait is told in minutes, for the tests of what a refusal says.
var WholeMinutes = wholeMinutes
