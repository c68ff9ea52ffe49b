package antomtest

import (
	"encoding/json"
	"time"

	"github.com/antomgw/antomgw/wire"
)

// CheckoutURL is where the fake server's payment sessions say their
// checkout page is: a domain that never resolves (the fake serves no
// pages).
const CheckoutURL = "https://checkout.antomtest.invalid/session/"

// checkoutBody fills m, the default answer of consult,
// createPaymentSession or retrievePaymentSession, from the request alone.
func checkoutBody(req Request, res wire.Result, now time.Time, m map[string]any) {
	var in struct {
		PaymentRequestID      string          `json:"paymentRequestId"`
		PaymentRequestIDSnake string          `json:"payment_request_id"` // the official Python SDK's spelling
		PaymentAmount         json.RawMessage `json:"paymentAmount"`
	}
	_ = json.Unmarshal(req.Body, &in) // a body that does not decode gets ids left empty
	id := in.PaymentRequestID
	if id == "" {
		id = in.PaymentRequestIDSnake
	}
	ok := res.Status == wire.StatusSuccess
	switch req.API {
	case "consult":
		var amount struct {
			Currency string `json:"currency"`
		}
		_ = json.Unmarshal(in.PaymentAmount, &amount)
		if ok {
			m["paymentOptions"] = []map[string]any{
				{"paymentMethodType": "ALIPAY_CN", "paymentMethodCategory": "WALLET", "paymentMethodRegion": []string{"CN"},
					"enabled": true, "preferred": false, "supportedCurrencies": []string{amount.Currency}},
				{"paymentMethodType": "CARD", "paymentMethodCategory": "CARD", "paymentMethodRegion": []string{"GLOBAL"},
					"enabled": true, "preferred": false, "supportedCurrencies": []string{amount.Currency},
					"paymentOptionDetail": map[string]any{"supportCardBrands": []map[string]any{{"cardBrand": "VISA"}, {"cardBrand": "MASTERCARD"}}}},
			}
		}
	case "createPaymentSession":
		if ok && id != "" {
			m["paymentSessionId"] = "SESSION_" + id
			m["paymentSessionData"] = "U0VTU0lPTl8=" + id + "&&SG&&111"
			m["paymentSessionExpiryTime"] = now.Add(time.Hour).UTC().Format("2006-01-02T15:04:05-07:00")
			m["normalUrl"] = CheckoutURL + "SESSION_" + id
		}
	case "retrievePaymentSession":
		if id != "" {
			m["paymentRequestId"] = id
		}
		if ok && id != "" {
			m["paymentSessionId"] = "SESSION_" + id
			m["paymentSessionStatus"] = "ACTIVE"
		}
	}
}
