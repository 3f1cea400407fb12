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

// scaledTheme is the app's theme (Light or Dark, as staff chose) with
// every size times factor: the dialogs' theme (see dialog.go). It reads
// the app's theme at each call, so a theme change reaches the dialogs.
type scaledTheme struct{ factor float32 }

var _ fyne.Theme = (*scaledTheme)(nil)

func (s *scaledTheme) base() fyne.Theme {
	if a := fyne.CurrentApp(); a != nil {
		if t := a.Settings().Theme(); t != nil {
			return t
		}
	}
	return theme.DefaultTheme()
}

func (s *scaledTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return s.base().Color(n, v)
}

func (s *scaledTheme) Font(st fyne.TextStyle) fyne.Resource { return s.base().Font(st) }

func (s *scaledTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return s.base().Icon(n) }

func (s *scaledTheme) Size(n fyne.ThemeSizeName) float32 { return s.base().Size(n) * s.factor }
