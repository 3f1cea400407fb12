package dashboard

// BuildView and MakeView let the tests compare the view the dashboard
// builds with one made from a report over every move.
var (
	BuildView = buildView
	MakeView  = makeView
)
