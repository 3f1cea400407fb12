// Package assets embeds the files Usher ships: the demo event, icons.
package assets

import _ "embed"

// DemoEvent is the built-in demo event definition (TOML).
//
//go:embed demo/event.toml
var DemoEvent []byte

// Icon is the application icon (also named in FyneApp.toml).
//
//go:embed icon.png
var Icon []byte
