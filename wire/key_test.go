package wire_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/antomgw/antomgw/wire"
)

// The 2048-bit keys in testdata were made once with OpenSSL 3.0 and are for
// tests only:
//
//	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048-test-only.pem
//	openssl pkey -in rsa2048-test-only.pem -traditional -out rsa2048-pkcs1-test-only.pem
//	openssl pkey -in rsa2048-test-only.pem -pubout -out rsa2048-pub-test-only.pem
//	openssl rsa -in rsa2048-test-only.pem -RSAPublicKey_out -out rsa2048-rsapub-test-only.pem
//	openssl req -x509 -new -key rsa2048-test-only.pem -subj /CN=antomgw-wire-test-only \
//		-days 36500 -sha256 -out rsa2048-cert-test-only.pem
//	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048-other-test-only.pem
const (
	keyPKCS8File  = "rsa2048-test-only.pem"        // PRIVATE KEY
	keyPKCS1File  = "rsa2048-pkcs1-test-only.pem"  // RSA PRIVATE KEY, same key
	pubSPKIFile   = "rsa2048-pub-test-only.pem"    // PUBLIC KEY, same key
	pubPKCS1File  = "rsa2048-rsapub-test-only.pem" // RSA PUBLIC KEY, same key
	certFile      = "rsa2048-cert-test-only.pem"   // CERTIFICATE, same key
	otherKeyFile  = "rsa2048-other-test-only.pem"  // PRIVATE KEY, a second key
	keyNotShownOK = "(key material not shown)"
)

func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// pemDER returns the DER inside the first PEM block of a testdata file.
func pemDER(tb testing.TB, name string) []byte {
	tb.Helper()
	block, _ := pem.Decode(readTestdata(tb, name))
	if block == nil {
		tb.Fatalf("testdata/%s: no PEM block", name)
	}
	return block.Bytes
}

// testKey is the main 2048-bit test key (testdata/rsa2048-test-only.pem).
func testKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	return loadPrivateKey(tb, keyPKCS8File)
}

// otherKey is a second 2048-bit test key, the "wrong recipient".
func otherKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	return loadPrivateKey(tb, otherKeyFile)
}

func loadPrivateKey(tb testing.TB, name string) *rsa.PrivateKey {
	tb.Helper()
	key, err := wire.ParsePrivateKey(readTestdata(tb, name))
	if err != nil {
		tb.Fatalf("ParsePrivateKey(testdata/%s): got error %v, want nil", name, err)
	}
	return key
}

// wantKeyX509 parses the PKCS #8 test key with crypto/x509 directly, as the
// reference that wire's parser is compared with.
func wantKeyX509(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	k, err := x509.ParsePKCS8PrivateKey(pemDER(tb, keyPKCS8File))
	if err != nil {
		tb.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

// wrapBase64 breaks s into lines of n characters joined by sep.
func wrapBase64(s string, n int, sep string) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n])
		b.WriteString(sep)
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

func pemEncode(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// checkNoKeyMaterial fails if msg contains any 16-character piece of secret
// (the base64 of a key). It never prints secret itself.
func checkNoKeyMaterial(tb testing.TB, msg, secret string) {
	tb.Helper()
	for i := 0; i+16 <= len(secret); i += 8 {
		if strings.Contains(msg, secret[i:i+16]) {
			tb.Errorf("error text contains key material at offset %d of the key %s", i, keyNotShownOK)
			return
		}
	}
}

// smallRSAKey generates a 1024-bit key, which is fast enough at test time.
func smallRSAKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

type otherKeys struct {
	ecPKCS8, ecSEC1, ecSPKI  []byte
	edPKCS8, edSPKI          []byte
	rsa1024PKCS8, rsa1024PK1 []byte
	rsa1024SPKI              []byte
}

func makeOtherKeys(tb testing.TB) otherKeys {
	tb.Helper()
	var o otherKeys
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	mustDER := func(der []byte, err error) []byte {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return der
	}
	o.ecPKCS8 = mustDER(x509.MarshalPKCS8PrivateKey(ec))
	o.ecSEC1 = mustDER(x509.MarshalECPrivateKey(ec))
	o.ecSPKI = mustDER(x509.MarshalPKIXPublicKey(&ec.PublicKey))
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	o.edPKCS8 = mustDER(x509.MarshalPKCS8PrivateKey(edPriv))
	o.edSPKI = mustDER(x509.MarshalPKIXPublicKey(edPub))
	small := smallRSAKey(tb)
	o.rsa1024PKCS8 = mustDER(x509.MarshalPKCS8PrivateKey(small))
	o.rsa1024PK1 = x509.MarshalPKCS1PrivateKey(small)
	o.rsa1024SPKI = mustDER(x509.MarshalPKIXPublicKey(&small.PublicKey))
	return o
}

// keyInput is an input a key parser reads.
type keyInput struct {
	name string
	data []byte
}

// bareForms returns der in each bare form the key parsers read: binary DER
// and its base64 on one line, with a trailing newline, in lines of 64
// characters (with and without a final newline), in CRLF lines of 76, and
// without padding. form names the encoding in the case names.
func bareForms(form string, der []byte) []keyInput {
	b64 := base64.StdEncoding.EncodeToString(der)
	return []keyInput{
		{"OK/" + form + "DER", der},
		{"OK/" + form + "Base64", []byte(b64)},
		{"OK/" + form + "Base64Newline", []byte(b64 + "\n")},
		{"OK/" + form + "Base64Lines", []byte(wrapBase64(b64, 64, "\n"))},
		{"OK/" + form + "Base64LinesNewline", []byte(wrapBase64(b64, 64, "\n") + "\n")},
		{"OK/" + form + "Base64CRLFLines", []byte(wrapBase64(b64, 76, "\r\n"))},
		{"OK/" + form + "Base64Unpadded", []byte(strings.TrimRight(b64, "="))},
	}
}

func TestParsePrivateKey(t *testing.T) {
	want := wantKeyX509(t)
	pkcs8 := pemDER(t, keyPKCS8File)
	pkcs1 := pemDER(t, keyPKCS1File)
	if !bytes.Equal(pkcs1, x509.MarshalPKCS1PrivateKey(want)) {
		t.Fatal("testdata: the PKCS #1 file is not the same key as the PKCS #8 file")
	}
	ok := slices.Concat(bareForms("PKCS8", pkcs8), bareForms("PKCS1", pkcs1), []keyInput{
		{"OK/PKCS8PEM", readTestdata(t, keyPKCS8File)},
		{"OK/PKCS1PEM", readTestdata(t, keyPKCS1File)},
		{"OK/PEMWithBlankLinesAround", append(append([]byte("\n\n  "), readTestdata(t, keyPKCS8File)...), "\n\n"...)},
	})
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) { checkParses(t, wire.ParsePrivateKey, c.data, want) })
	}

	o := makeOtherKeys(t)
	damagedPEM := bytes.Replace(readTestdata(t, keyPKCS8File), []byte("-----END PRIVATE KEY-----"), []byte("-----END PRIVATE"), 1)
	badBase64PEM := []byte(strings.Replace(string(readTestdata(t, keyPKCS8File)), "\n", "\n!!", 2))
	bad := []struct {
		name  string
		data  []byte
		wants []string // substrings of the error text
	}{
		{"ErrECDSA", pemEncode("PRIVATE KEY", o.ecPKCS8), []string{"ECDSA", "P-256", "want RSA"}},
		{"ErrECDSABase64", []byte(base64.StdEncoding.EncodeToString(o.ecPKCS8)), []string{"ECDSA", "want RSA"}},
		{"ErrECDSASEC1PEM", pemEncode("EC PRIVATE KEY", o.ecSEC1), []string{"EC private key", "want RSA"}},
		{"ErrEd25519", pemEncode("PRIVATE KEY", o.edPKCS8), []string{"Ed25519", "want RSA"}},
		{"ErrEd25519Base64", []byte(base64.StdEncoding.EncodeToString(o.edPKCS8)), []string{"Ed25519"}},
		// Binary DER is recognised by its long-form length, which every RSA
		// key has; a 48-byte Ed25519 key has a short one, so it is reported
		// as unreadable rather than by type.
		{"ErrEd25519DER", o.edPKCS8, []string{"Ed25519", "want RSA"}},
		{"ErrRSA1024", pemEncode("PRIVATE KEY", o.rsa1024PKCS8), []string{"1024", "2048"}},
		{"ErrRSA1024PKCS1", pemEncode("RSA PRIVATE KEY", o.rsa1024PK1), []string{"1024", "2048"}},
		{"ErrRSA1024Base64", []byte(base64.StdEncoding.EncodeToString(o.rsa1024PKCS8)), []string{"1024", "2048"}},
		{"ErrPublicKeyPEM", readTestdata(t, pubSPKIFile), []string{"public key", "private key is needed"}},
		{"ErrRSAPublicKeyPEM", readTestdata(t, pubPKCS1File), []string{"public key", "private key is needed"}},
		{"ErrPublicKeyBase64", []byte(base64.StdEncoding.EncodeToString(pemDER(t, pubSPKIFile))), []string{"public key", "private key is needed"}},
		{"ErrPublicKeyDER", pemDER(t, pubSPKIFile), []string{"public key", "private key is needed"}},
		{"ErrCertificate", readTestdata(t, certFile), []string{"CERTIFICATE", "not a private key"}},
		{"ErrEncryptedPEM", pemEncode("ENCRYPTED PRIVATE KEY", []byte{0x30, 0x03, 0x02, 0x01, 0x00}), []string{"encrypted", "passphrase"}},
		{"ErrDamagedPEMEndLine", damagedPEM, []string{"PEM", "damaged"}},
		{"ErrDamagedPEMBase64", badBase64PEM, []string{"PEM", "damaged"}},
		{"ErrTruncatedPEM", pemEncode("PRIVATE KEY", pkcs8[:len(pkcs8)/2]), []string{"not a PKCS #8 or PKCS #1 private key"}},
		{"ErrTruncatedDER", pkcs8[:len(pkcs8)-1], []string{"not a PKCS #8 or PKCS #1 private key"}},
		{"ErrGarbage", []byte("this is not a key!"), []string{"neither PEM nor base64"}},
		{"ErrGarbageBase64", []byte("aGVsbG8gd29ybGQ="), []string{"not a PKCS #8 or PKCS #1 private key"}},
		{"ErrBinaryGarbage", []byte{0x30, 0x82, 0xff, 0xff, 0x01, 0x02}, []string{"not a PKCS #8 or PKCS #1 private key"}},
		{"ErrEmpty", nil, []string{"empty"}},
		{"ErrBlank", []byte(" \r\n\t\n"), []string{"empty"}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) { checkRefused(t, wire.ParsePrivateKey, c.data, c.wants) })
	}
}

func TestParsePublicKey(t *testing.T) {
	want := &wantKeyX509(t).PublicKey
	spki := pemDER(t, pubSPKIFile)
	pkcs1 := pemDER(t, pubPKCS1File)
	ok := slices.Concat(bareForms("SPKI", spki), bareForms("PKCS1", pkcs1), []keyInput{
		{"OK/SPKIPEM", readTestdata(t, pubSPKIFile)},
		{"OK/RSAPublicKeyPEM", readTestdata(t, pubPKCS1File)},
		{"OK/CertificatePEM", readTestdata(t, certFile)},
	})
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) { checkParses(t, wire.ParsePublicKey, c.data, want) })
	}

	o := makeOtherKeys(t)
	privPEM := readTestdata(t, keyPKCS8File)
	bad := []struct {
		name  string
		data  []byte
		wants []string
	}{
		{"ErrECDSA", pemEncode("PUBLIC KEY", o.ecSPKI), []string{"ECDSA", "P-256", "want RSA"}},
		{"ErrECDSABase64", []byte(base64.StdEncoding.EncodeToString(o.ecSPKI)), []string{"ECDSA", "want RSA"}},
		{"ErrEd25519", pemEncode("PUBLIC KEY", o.edSPKI), []string{"Ed25519", "want RSA"}},
		{"ErrRSA1024", pemEncode("PUBLIC KEY", o.rsa1024SPKI), []string{"1024", "2048"}},
		{"ErrRSA1024DER", o.rsa1024SPKI, []string{"1024", "2048"}},
		{"ErrPrivateKeyPEM", privPEM, []string{"private key", "public key is needed"}},
		{"ErrRSAPrivateKeyPEM", readTestdata(t, keyPKCS1File), []string{"private key", "public key is needed"}},
		{"ErrPrivateKeyBase64", []byte(base64.StdEncoding.EncodeToString(pemDER(t, keyPKCS8File))), []string{"private key", "public key is needed"}},
		{"ErrPrivateKeyDER", pemDER(t, keyPKCS8File), []string{"private key", "public key is needed"}},
		{"ErrOtherPEMType", pemEncode("X509 CRL", []byte{0x30, 0x00}), []string{"X509 CRL", "not a public key"}},
		{"ErrDamagedPEM", bytes.Replace(readTestdata(t, pubSPKIFile), []byte("-----END"), []byte("----END"), 1), []string{"PEM", "damaged"}},
		{"ErrTruncatedPEM", pemEncode("PUBLIC KEY", spki[:len(spki)/2]), []string{"not an X.509 SubjectPublicKeyInfo or PKCS #1 public key"}},
		{"ErrGarbage", []byte("-- not a key --"), []string{"neither PEM nor base64"}},
		{"ErrGarbageBase64", []byte("aGVsbG8gd29ybGQ="), []string{"not an X.509 SubjectPublicKeyInfo"}},
		{"ErrEmpty", nil, []string{"empty"}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) { checkRefused(t, wire.ParsePublicKey, c.data, c.wants) })
	}
}

// rsaKey is what the two key parsers return.
type rsaKey interface {
	*rsa.PrivateKey | *rsa.PublicKey
}

// publicOf returns the public half of a parsed key.
func publicOf[K rsaKey](k K) *rsa.PublicKey {
	if priv, ok := any(k).(*rsa.PrivateKey); ok {
		return &priv.PublicKey
	}
	return any(k).(*rsa.PublicKey)
}

// sameKey reports whether a and b are the same key (for private keys, the
// private half too).
func sameKey[K rsaKey](a, b K) bool {
	if priv, ok := any(a).(*rsa.PrivateKey); ok {
		return priv.Equal(b)
	}
	return any(a).(*rsa.PublicKey).Equal(b)
}

// checkParses fails t unless parse reads data as the key want.
func checkParses[K rsaKey](t *testing.T, parse func([]byte) (K, error), data []byte, want K) {
	t.Helper()
	got, err := parse(data)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if !sameKey(got, want) {
		t.Fatalf("got a different key (fingerprint %s), want %s", wire.Fingerprint(publicOf(got)), wire.Fingerprint(publicOf(want)))
	}
}

// checkRefused fails t unless parse refuses data with an error that wraps
// wire.ErrKey, contains each of wants and shows no key material.
func checkRefused[K rsaKey](t *testing.T, parse func([]byte) (K, error), data []byte, wants []string) {
	t.Helper()
	got, err := parse(data)
	if err == nil {
		t.Fatalf("got a %d-bit key and nil error, want an error", publicOf(got).N.BitLen())
	}
	checkError(t, err, wire.ErrKey, wants...)
	checkNoKeyMaterial(t, err.Error(), base64.StdEncoding.EncodeToString(data))
	checkNoKeyMaterial(t, err.Error(), strings.Join(strings.Fields(string(data)), ""))
}

func TestMarshalRoundTrip(t *testing.T) {
	key := testKey(t)
	t.Run("OK/PrivateKeyPEM", func(t *testing.T) {
		data, err := wire.MarshalPrivateKeyPEM(key)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("-----BEGIN PRIVATE KEY-----\n")) {
			t.Errorf("got PEM starting %q, want a PRIVATE KEY block", data[:min(len(data), 27)])
		}
		got, err := wire.ParsePrivateKey(data)
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if !got.Equal(key) {
			t.Fatal("got a different key after the round trip, want the same")
		}
	})
	t.Run("OK/PublicKeyPEM", func(t *testing.T) {
		data, err := wire.MarshalPublicKeyPEM(&key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if want := readTestdata(t, pubSPKIFile); !bytes.Equal(data, want) {
			t.Errorf("got PEM\n%s\nwant the same as openssl's\n%s", data, want)
		}
	})
	t.Run("OK/PublicKeyBase64", func(t *testing.T) {
		got, err := wire.PublicKeyBase64(&key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if want := base64.StdEncoding.EncodeToString(pemDER(t, pubSPKIFile)); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestGenerateKey(t *testing.T) {
	if testing.Short() {
		t.Skip("RSA-2048 generation is slow; skipped with -short")
	}
	key, err := wire.GenerateKey(nil)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if got := key.N.BitLen(); got != 2048 {
		t.Errorf("got %d bits, want 2048", got)
	}
}

func TestFingerprint(t *testing.T) {
	pub := &testKey(t).PublicKey
	got := wire.Fingerprint(pub)
	hexPart, ok := strings.CutPrefix(got, "SHA256:")
	if !ok || len(hexPart) != 64 || strings.Trim(hexPart, "0123456789abcdef") != "" {
		t.Fatalf("got %q, want SHA256: and 64 lower-case hex digits", got)
	}
	cert, err := wire.ParsePublicKey(readTestdata(t, certFile))
	if err != nil {
		t.Fatal(err)
	}
	if f := wire.Fingerprint(cert); f != got {
		t.Errorf("got %s for the certificate, want %s (same key)", f, got)
	}
	if f := wire.Fingerprint(&otherKey(t).PublicKey); f == got {
		t.Errorf("got %s for a different key, want a different fingerprint", f)
	}
	// The value printed by openssl is checked in TestOpenSSL/Fingerprint.
}

func FuzzParsePrivateKey(f *testing.F) {
	f.Add(readTestdata(f, keyPKCS8File))
	f.Add(readTestdata(f, keyPKCS1File))
	f.Add([]byte(base64.StdEncoding.EncodeToString(pemDER(f, keyPKCS8File))))
	f.Add(pemDER(f, keyPKCS1File))
	f.Add(readTestdata(f, pubSPKIFile))
	f.Add(readTestdata(f, certFile))
	f.Add(pemEncode("ENCRYPTED PRIVATE KEY", []byte{0x30, 0x00}))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte{0x30, 0x82, 0x00, 0x00})
	f.Add([]byte(""))
	f.Add([]byte("garbage"))
	f.Fuzz(fuzzKeyParser(wire.ParsePrivateKey, wire.MarshalPrivateKeyPEM))
}

func FuzzParsePublicKey(f *testing.F) {
	f.Add(readTestdata(f, pubSPKIFile))
	f.Add(readTestdata(f, pubPKCS1File))
	f.Add(readTestdata(f, certFile))
	f.Add([]byte(base64.StdEncoding.EncodeToString(pemDER(f, pubSPKIFile))))
	f.Add(pemDER(f, pubPKCS1File))
	f.Add(readTestdata(f, keyPKCS8File))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte{0x30, 0x82, 0x01, 0x0a})
	f.Add([]byte(""))
	f.Add([]byte("garbage"))
	f.Fuzz(fuzzKeyParser(wire.ParsePublicKey, func(key *rsa.PublicKey) ([]byte, error) {
		b64, err := wire.PublicKeyBase64(key)
		return []byte(b64), err
	}))
}

// fuzzKeyParser is the check of both key fuzz targets: parse either refuses
// data with an error that wraps wire.ErrKey, comes without a key and does not
// echo the input, or returns a key of at least wire.MinKeyBits that reads
// back the same after encode.
func fuzzKeyParser[K rsaKey](parse func([]byte) (K, error), encode func(K) ([]byte, error)) func(*testing.T, []byte) {
	return func(t *testing.T, data []byte) {
		key, err := parse(data)
		if err != nil {
			checkError(t, err, wire.ErrKey)
			if key != nil {
				t.Fatal("got a key together with an error, want nil")
			}
			checkNoInputEcho(t, err.Error(), data)
			return
		}
		if bits := publicOf(key).N.BitLen(); bits < wire.MinKeyBits {
			t.Fatalf("got a %d-bit key, want at least %d", bits, wire.MinKeyBits)
		}
		out, err := encode(key)
		if err != nil {
			t.Fatalf("encode: got error %v, want nil", err)
		}
		again, err := parse(out)
		if err != nil {
			t.Fatalf("re-parse: got error %v, want nil", err)
		}
		if !sameKey(again, key) {
			t.Fatal("re-parse: got a different key, want the same")
		}
		if wire.Fingerprint(publicOf(again)) != wire.Fingerprint(publicOf(key)) {
			t.Fatal("re-parse: got a different fingerprint, want the same")
		}
	}
}

// checkNoInputEcho fails if a key parser's error repeats a piece of its
// input that looks like key material: 16 base64 characters with upper- and
// lower-case letters and a digit (the fixed error texts have no such run).
// PEM labels are the one thing an error may quote, so input with PEM armour
// is not checked.
func checkNoInputEcho(tb testing.TB, msg string, data []byte) {
	tb.Helper()
	s := string(data)
	if strings.Contains(s, "-----") {
		return
	}
	for i := 0; i+16 <= len(s); i++ {
		w := s[i : i+16]
		if looksLikeKeyMaterial(w) && strings.Contains(msg, w) {
			tb.Fatalf("error text repeats 16 bytes of the input at offset %d %s", i, keyNotShownOK)
		}
	}
}

func looksLikeKeyMaterial(w string) bool {
	var upper, lower, digit bool
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case 'A' <= c && c <= 'Z':
			upper = true
		case 'a' <= c && c <= 'z':
			lower = true
		case '0' <= c && c <= '9':
			digit = true
		case c == '+' || c == '/' || c == '=':
		default:
			return false
		}
	}
	return upper && lower && digit
}
