// Package qr draws QR codes as PNG images, for the wallet's pages and the
// console: the code value of an OrderCode payment, a user's payment code.
// The encoder is github.com/piglig/go-qr (no dependencies, with a decoder
// the tests use to read the images back).
package qr

import (
	"bytes"
	"fmt"
	"image/png"

	goqr "github.com/piglig/go-qr"
)

// PNG returns a PNG image of text as a QR code with medium error
// correction, scale pixels per module and the standard four-module quiet
// zone. A scale below 1 is 1. It fails when text is too long for a QR code
// (about 2,300 bytes at this correction level).
func PNG(text string, scale int) ([]byte, error) {
	if scale < 1 {
		scale = 1
	}
	code, err := goqr.EncodeText(text, goqr.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr: %d bytes do not fit in a QR code: %w", len(text), err)
	}
	return code.ToPNGBytes(goqr.NewQrCodeImgConfig(scale, 4))
}

// Read returns the text of the QR code in a PNG image (one PNG made, or
// one cleanly rendered like it). It is for tests that check what an image
// says.
func Read(pngImage []byte) (string, error) {
	img, err := png.Decode(bytes.NewReader(pngImage))
	if err != nil {
		return "", fmt.Errorf("qr: not a PNG image: %w", err)
	}
	text, err := goqr.Decode(img)
	if err != nil {
		return "", fmt.Errorf("qr: no QR code found in the image: %w", err)
	}
	return text, nil
}
