package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

// Client calls the console's JSON API of a running gateway (what `antomgw
// clock` uses). Set BaseURL; it is safe for concurrent use.
type Client struct {
	// BaseURL is where the gateway is, "http://127.0.0.1:8080".
	BaseURL string
	// Token is the console's token, when the gateway asks for one.
	Token string
	// HTTPClient defaults to one with a 5-minute timeout: moving a test
	// clock a long way carries out everything on the way.
	HTTPClient *http.Client
}

// Clock returns the gateway's time and whether it runs on a test clock,
// with the raw JSON answer.
func (c *Client) Clock(ctx context.Context) (now time.Time, testClock bool, raw []byte, err error) {
	var out clockJSON
	raw, err = c.call(ctx, http.MethodGet, "/console/api/clock", nil, &out)
	if err != nil {
		return time.Time{}, false, nil, err
	}
	now, err = time.Parse(time.RFC3339Nano, out.Now)
	return now, out.TestClock, raw, err
}

// Advance moves the gateway's test clock by d (see node.Node.Advance) and
// returns what it did, with the raw JSON answer. A gateway on the real
// clock refuses, saying how to start one on a test clock.
func (c *Client) Advance(ctx context.Context, d time.Duration) (gateway.Advanced, []byte, error) {
	var out advancedJSON
	raw, err := c.call(ctx, http.MethodPost, "/console/api/clock/advance", url.Values{"by": {d.String()}}, &out)
	if err != nil {
		return gateway.Advanced{}, nil, err
	}
	a := gateway.Advanced{Jobs: out.Jobs, Attempts: out.Attempts}
	if a.From, err = time.Parse(time.RFC3339Nano, out.From); err == nil {
		a.To, err = time.Parse(time.RFC3339Nano, out.To)
	}
	return a, raw, err
}

// call sends one request and decodes a 200 answer into out; other answers
// become errors that say what to do.
func (c *Client) call(ctx context.Context, method, path string, form url.Values, out any) ([]byte, error) {
	base := strings.TrimRight(c.BaseURL, "/")
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return nil, fmt.Errorf("base URL %q: %w", c.BaseURL, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the gateway at %s: %w", base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read the answer of %s: %w", base+path, err)
	}
	var fail struct {
		Error string `json:"error"`
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("%s answered something that is not the console's JSON: %w", base+path, err)
		}
		return raw, nil
	case resp.StatusCode == http.StatusUnauthorized && c.Token == "":
		return nil, errors.New("the gateway's console asks for a token: give --console-token or set ANTOMGW_CONSOLE_TOKEN")
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, errors.New("the gateway's console refused the token (--console-token or ANTOMGW_CONSOLE_TOKEN)")
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%s has no console: the gateway serves it on loopback listeners, or on any listener with --console-token", base)
	case json.Unmarshal(raw, &fail) == nil && fail.Error != "":
		return nil, errors.New(fail.Error)
	}
	return nil, fmt.Errorf("%s answered %s", base+path, resp.Status)
}
