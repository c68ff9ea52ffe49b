package wire_test

import (
	"strings"
	"testing"
	"time"

	"github.com/antomgw/antomgw/wire"
)

func TestParseTime(t *testing.T) {
	ist := time.FixedZone("", 5*3600+30*60)
	for _, c := range []struct {
		name       string
		value      string
		want       time.Time
		wantOffset int // seconds east of UTC; checked for ISO forms only
	}{
		{"OK/EpochMillis13", "1704067200000", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), -1},
		{"OK/EpochMillisDocs", "1685599933871", time.UnixMilli(1685599933871), -1},
		{"OK/EpochNanos19", "1704067200123456789", time.Date(2024, 1, 1, 0, 0, 0, 123456789, time.UTC), -1},
		{"OK/ISOMillisOffset", "2019-04-04T12:08:56.253+05:30", time.Date(2019, 4, 4, 12, 8, 56, 253e6, ist), 19800},
		{"OK/ISONoFraction", "2019-05-28T12:12:12+08:00", time.Date(2019, 5, 28, 4, 12, 12, 0, time.UTC), 8 * 3600},
		{"OK/ISONegativeOffset", "2019-04-04T12:08:56.253-03:00", time.Date(2019, 4, 4, 15, 8, 56, 253e6, time.UTC), -3 * 3600},
		{"OK/DotNet7DigitFractionZ", "2024-01-01T00:00:00.1234567Z", time.Date(2024, 1, 1, 0, 0, 0, 123456700, time.UTC), 0},
		{"OK/NineDigitFraction", "2024-01-01T00:00:00.123456789Z", time.Date(2024, 1, 1, 0, 0, 0, 123456789, time.UTC), 0},
		{"OK/JavaZ", "2019-01-01T01:01:01Z", time.Date(2019, 1, 1, 1, 1, 1, 0, time.UTC), 0},
		{"OK/PHPOffsetNoColon", "2024-01-01T00:00:00+0000", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{"OK/ZOLOZOffsetNoColon", "2019-04-04T12:08:56+0530", time.Date(2019, 4, 4, 12, 8, 56, 0, ist), 19800},
		{"OK/PythonSecondsOffset", "2024-01-01T00:00:00+00:00", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := wire.ParseTime(c.value)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if !got.Equal(c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
			if c.wantOffset != -1 {
				if _, off := got.Zone(); off != c.wantOffset {
					t.Errorf("got offset %ds, want %ds (the sender's offset is kept)", off, c.wantOffset)
				}
			}
		})
	}

	neither := []string{"neither"} // not a form ParseTime reads
	for _, c := range []struct {
		name  string
		value string
		wants []string
	}{
		{"ErrEpochSeconds10", "1704067200", []string{"10 digits", "13 digits"}},
		{"ErrEpoch14", "17040672000001", []string{"14 digits"}},
		{"ErrEpochNanosOverflow", "9999999999999999999", []string{"out of range"}},
		{"ErrNegativeEpoch", "-1704067200000", neither},
		{"ErrSpaceSeparator", "2019-04-04 12:08:56", neither},
		{"ErrSpaceSeparatorWithOffset", "2019-04-04 12:08:56.253+05:30", neither},
		{"ErrNoOffset", "2019-04-04T12:08:56", neither},
		{"ErrNoOffsetFraction", "2019-04-04T12:08:56.253", neither},
		{"ErrDateOnly", "2019-04-04", neither},
		{"ErrBadMonth", "2019-13-04T12:08:56Z", neither},
		{"ErrHTTPDate", "Thu, 04 Apr 2019 12:08:56 GMT", neither},
		{"ErrTrailingSpace", "1704067200000 ", neither},
		{"ErrEmpty", "", []string{"empty"}},
		{"ErrGarbage", "garbage", []string{`"garbage"`}},
		{"ErrLongGarbageTruncated", strings.Repeat("x", 200), []string{"…"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := wire.ParseTime(c.value)
			if err == nil {
				t.Fatalf("got %v and nil error, want an error", got)
			}
			checkError(t, err, wire.ErrTime, c.wants...)
			if !got.IsZero() {
				t.Errorf("got %v with the error, want the zero time", got)
			}
		})
	}
}

func TestFormatTime(t *testing.T) {
	for _, c := range []struct {
		name string
		t    time.Time
		want string
	}{
		{"OK/SeedExample", time.Date(2019, 4, 4, 12, 8, 56, 253e6, time.FixedZone("IST", 5*3600+30*60)), "2019-04-04T12:08:56.253+05:30"},
		{"OK/UTCIsNumeric", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "2024-01-01T00:00:00.000+00:00"},
		{"OK/Negative", time.Date(2024, 1, 1, 0, 0, 0, 5e6, time.FixedZone("", -(9*3600+30*60))), "2024-01-01T00:00:00.005-09:30"},
		{"OK/TruncatesNotRounds", time.Date(2024, 1, 1, 23, 59, 59, 999999999, time.UTC), "2024-01-01T23:59:59.999+00:00"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := wire.FormatTime(c.t)
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			back, err := wire.ParseTime(got)
			if err != nil {
				t.Fatalf("ParseTime(%q): got error %v, want nil", got, err)
			}
			if want := c.t.Add(-time.Duration(c.t.Nanosecond() % 1e6)); !back.Equal(want) {
				t.Fatalf("ParseTime(%q): got %v, want %v", got, back, want)
			}
		})
	}
	t.Run("OK/SameInstantInIST", func(t *testing.T) {
		instant := time.UnixMilli(1554359936253) // 2019-04-04T06:38:56.253Z
		got := wire.FormatTime(instant.In(time.FixedZone("", 5*3600+30*60)))
		if want := "2019-04-04T12:08:56.253+05:30"; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"1704067200000", "1704067200123456789", "1704067200", "9999999999999999999", "0000000000000",
		"2019-04-04T12:08:56.253+05:30", "2019-05-28T12:12:12+08:00", "2024-01-01T00:00:00.1234567Z",
		"2024-01-01T00:00:00+0000", "2019-04-04T12:08:56+0530", "2024-01-01T00:00:00,5Z",
		"0000-01-01T00:00:00+23:59", "9999-12-31T23:59:59.999999999-23:59",
		"2019-04-04 12:08:56", "", "garbage", "T", "Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := wire.ParseTime(s)
		if err != nil {
			checkError(t, err, wire.ErrTime)
			if !got.IsZero() {
				t.Fatalf("got %v with an error, want the zero time", got)
			}
			return
		}
		// FormatTime keeps the offset and the milliseconds; its output must
		// parse back to the same instant, truncated to the millisecond.
		formatted := wire.FormatTime(got)
		back, err := wire.ParseTime(formatted)
		if err != nil {
			t.Fatalf("ParseTime(FormatTime(%v) = %q): got error %v, want nil", got, formatted, err)
		}
		if want := got.Add(-time.Duration(got.Nanosecond() % 1e6)); !back.Equal(want) {
			t.Fatalf("ParseTime(%q): got %v, want %v", formatted, back, want)
		}
		_, off1 := got.Zone()
		_, off2 := back.Zone()
		if off1 != off2 {
			t.Fatalf("ParseTime(%q): got offset %d, want %d", formatted, off2, off1)
		}
	})
}
