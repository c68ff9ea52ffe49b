package view

import (
	"slices"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/wire"
)

func TestScenarioCodes(t *testing.T) {
	for _, api := range gateway.ScenarioAPIs {
		if api == gateway.ScenarioNotify {
			continue
		}
		codes := ScenarioCodes(api)
		if len(codes) < len(commonCodes) {
			t.Errorf("%s: %d codes, want its own and the common ones", api, len(codes))
		}
		for _, own := range scenarioCodes[api] {
			if _, ok := wire.LookupCode(own); !ok {
				t.Errorf("%s lists %s, which the catalogue lacks", api, own)
			}
		}
	}
	pay := ScenarioCodes(gateway.ScenarioPay)
	if pay[0].Code != wire.CodePaymentInProcess || pay[0].Status != wire.StatusUnknown {
		t.Errorf("pay's first code = %+v", pay[0])
	}
	if c := ScenarioCodes(gateway.ScenarioCapture); c[0].Code != wire.CodeCaptureInProcess || !slices.ContainsFunc(c, func(i wire.CodeInfo) bool { return i.Code == wire.CodeMultiCaptureNotSupport }) {
		t.Errorf("capture's codes = %+v, want CAPTURE_IN_PROCESS first and MULTI_CAPTURE_NOT_SUPPORTED", c)
	}
	if ScenarioCodes(gateway.ScenarioNotify) != nil {
		t.Error("notify has result codes")
	}
}

func TestFillResult(t *testing.T) {
	e := gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "USER_AMOUNT_EXCEED_LIMIT"}
	if err := FillResult(&e, ""); err != nil || e.ResultStatus != "F" || e.ResultMessage == "" {
		t.Errorf("FillResult: %+v %v", e, err)
	}
	rare := gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "SOME_RARE_CODE"}
	if err := FillResult(&rare, ""); err == nil || !strings.Contains(err.Error(), "--result-status") {
		t.Errorf("a code the catalogue lacks, no status: %v", err)
	}
	if err := FillResult(&rare, "U"); err != nil || rare.ResultStatus != "U" {
		t.Errorf("a rare code with U: %+v %v", rare, err)
	}
	s := gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "SUCCESS"}
	if err := FillResult(&s, "F"); err == nil {
		t.Error("SUCCESS answered F was accepted")
	}
}
