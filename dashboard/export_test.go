package dashboard

// MakeView lets the tests compare the view the dashboard builds with one
// made from a report over every move.
var MakeView = makeView
