package browsertest

// Screenshots: taken, checked and kept for the docs.

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/chromedp/chromedp"
)

var updateScreenshots = flag.Bool("update-screenshots", false,
	"write the screenshots to docs/img/ (for the docs) instead of a temporary directory")

// docsImg is where -update-screenshots writes, relative to this package.
const docsImg = "../../docs/img"

// screenshot takes a full-page PNG of the tab, checks it is a picture with
// content, and writes it as name: to docs/img/ with -update-screenshots,
// else to a temporary directory.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	buf := run(tb, "screenshot "+name, chromedp.FullScreenshot(100))
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		tb.t.Fatalf("screenshot %s: not a PNG: %v", name, err)
	}
	b := img.Bounds()
	if want := int(float64(tb.vp.width) * tb.vp.scale); b.Dx() != want {
		tb.t.Errorf("screenshot %s is %d pixels wide, want %d: the page is wider than the %d px viewport (horizontal overflow)",
			name, b.Dx(), want, tb.vp.width)
	}
	// A wide table scrolls inside its box (the screenshot shows it cut):
	// say so, for whoever reads the pictures.
	clipped := run(tb, "look for clipped boxes", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("body *"))
		.filter(function (e) { return e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible"; })
		.map(function (e) { return e.tagName.toLowerCase() + (e.className ? "." + e.className.split(" ").join(".") : "") +
			" (" + e.scrollWidth + " px of content in " + e.clientWidth + ")"; })`))
	if len(clipped) > 0 {
		tb.t.Logf("note: screenshot %s: content is cut off horizontally in %s", name, strings.Join(clipped, ", "))
	}
	if n := colours(img, 16); n < 16 {
		tb.t.Fatalf("screenshot %s (%dx%d) has %d distinct colours: it looks blank", name, b.Dx(), b.Dy(), n)
	}
	dir := tb.t.TempDir()
	if *updateScreenshots {
		dir = docsImg
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.t.Fatalf("screenshot %s: %v", name, err)
		}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	tb.t.Logf("screenshot %s: %dx%d, %d bytes", path, b.Dx(), b.Dy(), len(buf))
}

// colours counts the distinct colours of img, up to limit.
func colours(img image.Image, limit int) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}
