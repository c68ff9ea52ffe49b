package qr

import (
	"strings"
	"testing"
)

func TestPNGReadsBack(t *testing.T) {
	for _, text := range []string{
		"http://127.0.0.1:8080/wallet/checkout/20260302093000000000001/3q2-7w_9AbCdEfGhIjKlMn",
		"281234567890123456",
	} {
		b, err := PNG(text, 4)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Read(b)
		if err != nil {
			t.Fatalf("decode %q: %v", text, err)
		}
		if got != text {
			t.Errorf("read back %q, want %q", got, text)
		}
	}
}

func TestPNGTooLong(t *testing.T) {
	_, err := PNG(strings.Repeat("x", 5000), 4)
	if err == nil || !strings.Contains(err.Error(), "5000 bytes") {
		t.Fatalf("err = %v, want one naming the length", err)
	}
}

func TestReadRefusesWhatIsNotAQRCode(t *testing.T) {
	if _, err := Read([]byte("GIF89a")); err == nil || !strings.Contains(err.Error(), "not a PNG") {
		t.Errorf("Read(not a PNG) = %v", err)
	}
}
