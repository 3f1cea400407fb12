package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// kioskTheme is Fyne's default theme pinned to one variant, with larger
// text for reading at a distance. Light and dark keep the default theme's
// contrast between text and background (tested).
type kioskTheme struct {
	variant fyne.ThemeVariant
}

var _ fyne.Theme = kioskTheme{}

// lightText darkens the default light theme's text, so that light and
// dark give text the same contrast (about 16:1, tested).
var lightText = color.NRGBA{0x1f, 0x1f, 0x1f, 0xff}

func (t kioskTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameForeground && t.variant == theme.VariantLight {
		return lightText
	}
	return theme.DefaultTheme().Color(n, t.variant)
}

func (t kioskTheme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

func (t kioskTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (t kioskTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 18
	case theme.SizeNameSubHeadingText:
		return 22
	case theme.SizeNameHeadingText:
		return 30
	}
	return theme.DefaultTheme().Size(n)
}

// Light and Dark are the kiosk's two themes.
var (
	Light fyne.Theme = kioskTheme{theme.VariantLight}
	Dark  fyne.Theme = kioskTheme{theme.VariantDark}
)
