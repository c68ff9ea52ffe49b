package notify_test

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/notify"
)

// TestAnswerNotRecorded: of a receiver's answer only the status line goes
// into the attempt's error, the notification's last error and the log —
// not its body, its headers, its reason phrase, nor the bytes of a service
// that does not speak HTTP.
func TestAnswerNotRecorded(t *testing.T) {
	const secret = "TOPSECRET"
	f := newFixture(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/status500", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Debug", secret)
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, secret+" stack trace")
	})
	mux.HandleFunc("/badack", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"result":{"resultStatus":"F","resultCode":"`+secret+`","resultMessage":"`+secret+`"}}`)
	})
	mux.HandleFunc("/odd", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"result":{"resultStatus":"`+secret+`"}}`)
	})
	mux.HandleFunc("/notjson", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, secret) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://internal.example/"+secret, http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// Services that answer with bytes of their own: not HTTP at all, and
	// HTTP with a reason phrase of its own.
	banner := rawServer(t, "SSH-2.0-OpenSSH_"+secret+"\r\n")
	reason := rawServer(t, "HTTP/1.1 503 "+secret+"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

	want := map[string]string{ // id → what the error says
		"status500": "HTTP 500 Internal Server Error",
		"badack":    "HTTP 200 OK without the acknowledgement",
		"odd":       "resultStatus is not S",
		"notjson":   "the answer is not JSON",
		"redirect":  "HTTP 302 Found: redirects are not followed",
		"banner":    "the receiver's answer is not HTTP",
		"reason":    "HTTP 503 Service Unavailable",
	}
	for id := range want {
		url := srv.URL + "/" + id
		switch id {
		case "banner":
			url = "http://" + banner + "/n"
		case "reason":
			url = "http://" + reason + "/n"
		}
		f.enqueue(t, id, url, `{}`)
	}
	var log syncBuffer
	w := f.worker(&notify.Worker{Schedule: gateway.RetrySchedule{0}, AllowPrivate: true,
		Log: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	f.deliverDue(t, w, len(want))

	for id, text := range want {
		a := f.attempts(t, id)
		if len(a) != 1 {
			t.Fatalf("%s: %d attempts, want 1", id, len(a))
		}
		if !strings.Contains(a[0].Error, text) {
			t.Errorf("%s: error %q, want it to say %q", id, a[0].Error, text)
		}
		if strings.Contains(a[0].Error, secret) {
			t.Errorf("%s: the attempt's error quotes the answer: %q", id, a[0].Error)
		}
		if n := f.notification(t, id); strings.Contains(n.LastError, secret) {
			t.Errorf("%s: the last error quotes the answer: %q", id, n.LastError)
		}
	}
	if out := log.String(); strings.Contains(out, secret) {
		t.Errorf("the log quotes an answer:\n%s", out)
	} else if !strings.Contains(out, "HTTP 500 Internal Server Error") {
		t.Errorf("the log lacks the status line of the failed attempt:\n%s", out)
	}
}

// rawServer serves every connection on loopback by reading the request's
// head and writing answer; it returns its address.
func rawServer(t *testing.T, answer string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				io.WriteString(c, answer)
			}()
		}
	}()
	return ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
