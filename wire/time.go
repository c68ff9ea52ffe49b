package wire

import (
	"errors"
	"strconv"
	"time"
)

// TimeLayout is how [FormatTime] writes Request-Time and Response-Time: ISO
// 8601 with milliseconds and a numeric offset, as in the seed document's
// 2019-04-04T12:08:56.253+05:30.
const TimeLayout = "2006-01-02T15:04:05.000-07:00"

// ErrTime is wrapped by every error of [ParseTime].
var ErrTime = errors.New("wire: unrecognised time header")

// FormatTime formats t in [TimeLayout], keeping t's location (UTC is written
// +00:00).
func FormatTime(t time.Time) string {
	return t.Format(TimeLayout)
}

// ParseTime reads a Request-Time or Response-Time value in any form the
// official SDKs and documents use:
//
//   - epoch milliseconds, 13 digits: 1704067200000 (Java and Go SDKs, AMS docs);
//   - epoch nanoseconds, 19 digits: 1704067200000000000 (Go SDK before 1.2.19);
//   - ISO 8601 with or without a fraction of any length, with "Z", "+hh:mm"
//     or "+hhmm": 2019-04-04T12:08:56.253+05:30, 2024-01-01T00:00:00+0000,
//     2024-01-01T00:00:00.1234567Z.
//
// The header's text is what gets signed; ParseTime is only for freshness
// checks and display.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, detailf(ErrTime, "empty")
	}
	if allDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, detailf(ErrTime, "%q is out of range", truncate(s, 32))
		}
		switch len(s) {
		case 13:
			return time.UnixMilli(n), nil
		case 19:
			return time.Unix(0, n), nil
		}
		return time.Time{}, detailf(ErrTime, "%q has %d digits; epoch times must be milliseconds (13 digits) or nanoseconds (19 digits)", truncate(s, 32), len(s))
	}
	// Go accepts a fraction of any length after the seconds even when the
	// layout has none, and "Z" wherever the layout says Z07:00 or Z0700.
	for _, layout := range [...]string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, detailf(ErrTime, "%q is neither epoch milliseconds nor ISO 8601 with an offset (2019-04-04T12:08:56.253+05:30)", truncate(s, 40))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
