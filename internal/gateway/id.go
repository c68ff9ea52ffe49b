package gateway

import (
	"crypto/rand"
	"math/big"
	"time"
)

// NewID returns an identifier in the style of Antom's: the UTC date and time
// to the second (14 digits) followed by 18 random decimal digits. Two ids are
// not guessable from one another; collisions are as likely as two draws of
// 60 random bits on the same second.
func NewID(now time.Time) string {
	var limit = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		panic("gateway: crypto/rand failed: " + err.Error()) // crypto/rand does not fail on supported platforms
	}
	digits := n.String()
	for len(digits) < 18 {
		digits = "0" + digits
	}
	return now.UTC().Format("20060102150405") + digits
}
