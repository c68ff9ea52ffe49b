package wire_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

func TestCodes(t *testing.T) {
	codes := wire.Codes()
	if len(codes) < 20 {
		t.Fatalf("got %d codes, want the full table", len(codes))
	}
	if !slices.IsSortedFunc(codes, func(a, b wire.CodeInfo) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("got codes out of order, want them sorted by code")
	}
	for _, c := range codes {
		t.Run(c.Code, func(t *testing.T) {
			if c.Code == "" || strings.Trim(c.Code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" {
				t.Errorf("got code %q, want UPPER_SNAKE_CASE", c.Code)
			}
			if !c.Status.Valid() {
				t.Errorf("got status %q, want S, F or U", c.Status)
			}
			if strings.TrimSpace(c.Message) == "" {
				t.Error("got an empty message, want a default message")
			}
			if c.Status != wire.StatusSuccess && strings.TrimSpace(c.Action) == "" {
				t.Error("got an empty action, want advice for a non-success code")
			}
			got, ok := wire.LookupCode(c.Code)
			if !ok || got != c {
				t.Errorf("LookupCode: got %+v, %v, want %+v, true", got, ok, c)
			}
		})
	}
	t.Run("OK/ReturnsCopy", func(t *testing.T) {
		first := wire.Codes()
		first[0].Status = "X"
		if again := wire.Codes(); again[0].Status == "X" {
			t.Error("got the caller's change back, want Codes to return a fresh slice")
		}
	})
}

func TestCodeStatuses(t *testing.T) {
	// Statuses the protocol digest (§5) states explicitly.
	for _, c := range []struct {
		code string
		want wire.Status
	}{
		{wire.CodeSuccess, wire.StatusSuccess},
		{wire.CodePaymentInProcess, wire.StatusUnknown},
		{wire.CodeUnknownException, wire.StatusUnknown},
		{wire.CodeRequestTrafficExceed, wire.StatusUnknown},
		{wire.CodeInvalidSignature, wire.StatusFail},
		{wire.CodeKeyNotFound, wire.StatusFail},
		{wire.CodeParamIllegal, wire.StatusFail},
		{wire.CodeOrderNotExist, wire.StatusFail},
		{wire.CodeRepeatReqInconsistent, wire.StatusFail},
	} {
		t.Run(c.code, func(t *testing.T) {
			info, ok := wire.LookupCode(c.code)
			if !ok {
				t.Fatalf("got no entry for %s, want one", c.code)
			}
			if info.Status != c.want {
				t.Errorf("got status %s, want %s", info.Status, c.want)
			}
		})
	}
	t.Run("ErrUnknownCode", func(t *testing.T) {
		if info, ok := wire.LookupCode("NO_SUCH_CODE"); ok {
			t.Errorf("got %+v, true, want false", info)
		}
	})
}

func TestNewResult(t *testing.T) {
	for _, c := range []struct {
		name          string
		code, message string
		want          wire.Result
	}{
		{"OK/DefaultMessage", wire.CodeSuccess, "", wire.Result{Code: "SUCCESS", Status: wire.StatusSuccess, Message: "success"}},
		{"OK/OwnMessage", wire.CodeParamIllegal, "paymentAmount.value must be positive",
			wire.Result{Code: "PARAM_ILLEGAL", Status: wire.StatusFail, Message: "paymentAmount.value must be positive"}},
		{"OK/Unknown", wire.CodePaymentInProcess, "", wire.Result{Code: "PAYMENT_IN_PROCESS", Status: wire.StatusUnknown, Message: "The payment is being processed."}},
		{"OK/UnknownCodeIsF", "NO_SUCH_CODE", "something", wire.Result{Code: "NO_SUCH_CODE", Status: wire.StatusFail, Message: "something"}},
		{"OK/UnknownCodeNoMessage", "NO_SUCH_CODE", "", wire.Result{Code: "NO_SUCH_CODE", Status: wire.StatusFail}},
		{"OK/CodeIsCaseSensitive", "success", "", wire.Result{Code: "success", Status: wire.StatusFail}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := wire.NewResult(c.code, c.message); got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestResultJSON(t *testing.T) {
	r := wire.NewResult(wire.CodeSuccess, "")
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}`; string(data) != want {
		t.Errorf("got %s, want %s", data, want)
	}
	var keys map[string]any
	if err := json.Unmarshal(data, &keys); err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(maps.Keys(keys))
	if want := []string{"resultCode", "resultMessage", "resultStatus"}; !slices.Equal(got, want) {
		t.Errorf("got keys %q, want %q", got, want)
	}
	var back wire.Result
	if err := json.Unmarshal([]byte(`{"resultStatus":"U","resultCode":"PAYMENT_IN_PROCESS","resultMessage":"m","extra":1}`), &back); err != nil {
		t.Fatal(err)
	}
	if want := (wire.Result{Code: "PAYMENT_IN_PROCESS", Status: wire.StatusUnknown, Message: "m"}); back != want {
		t.Errorf("got %+v, want %+v", back, want)
	}
}

func TestResultString(t *testing.T) {
	for r, want := range map[wire.Result]string{
		{Code: "SUCCESS", Status: "S", Message: "success"}: "S SUCCESS: success",
		{Code: "X", Status: "F"}:                           "F X",
	} {
		if got := r.String(); got != want {
			t.Errorf("%+v.String(): got %q, want %q", r, got, want)
		}
	}
}

func TestStatusValid(t *testing.T) {
	for _, c := range []struct {
		s    wire.Status
		want bool
	}{
		{"S", true}, {"F", true}, {"U", true}, {"", false}, {"s", false}, {"SUCCESS", false}, {"X", false},
	} {
		if got := c.s.Valid(); got != c.want {
			t.Errorf("Status(%q).Valid(): got %v, want %v", c.s, got, c.want)
		}
	}
}
