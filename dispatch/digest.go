package dispatch

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/url"
	"strings"
	"sync"
)

// digestChallenge is the last Digest challenge of a receiver (RFC 7616),
// reused with a growing nonce count until the receiver sends a new one.
type digestChallenge struct {
	mu        sync.Mutex
	realm     string
	nonce     string
	opaque    string
	algorithm string
	qop       string
	count     int
}

// update reads the strongest Digest challenge among WWW-Authenticate values.
func (c *digestChallenge) update(values []string) error {
	var best map[string]string
	for _, v := range values {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
		if !strings.EqualFold(scheme, "Digest") {
			continue
		}
		params := parseAuthParams(rest)
		alg := strings.ToUpper(params["algorithm"])
		if alg == "" {
			alg = "MD5"
		}
		if alg != "MD5" && alg != "SHA-256" {
			continue
		}
		params["algorithm"] = alg
		if best == nil || (alg == "SHA-256" && best["algorithm"] != "SHA-256") {
			best = params
		}
	}
	if best == nil {
		return fmt.Errorf("receiver answered 401 without a Digest challenge with algorithm MD5 or SHA-256")
	}
	qop := ""
	for _, q := range strings.Split(best["qop"], ",") {
		if strings.TrimSpace(q) == "auth" {
			qop = "auth"
		}
	}
	if best["qop"] != "" && qop == "" {
		return fmt.Errorf("receiver's Digest challenge offers qop %q; only auth is supported", best["qop"])
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	c.realm, c.nonce, c.opaque = best["realm"], best["nonce"], best["opaque"]
	c.algorithm, c.qop, c.count = best["algorithm"], qop, 0
	return nil
}

// authorize returns the Authorization value for a request, or "" before
// the first challenge.
func (c *digestChallenge) authorize(a *Authorization, method string, u *url.URL) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nonce == "" {
		return ""
	}
	c.count++
	newHash := md5.New
	if c.algorithm == "SHA-256" {
		newHash = sha256.New
	}
	uri := u.RequestURI()
	ha1 := hexHash(newHash, a.Username+":"+c.realm+":"+a.Password)
	ha2 := hexHash(newHash, method+":"+uri)

	nc := fmt.Sprintf("%08x", c.count)
	cnonce := randomHex(16)
	var response string
	if c.qop == "auth" {
		response = hexHash(newHash, ha1+":"+c.nonce+":"+nc+":"+cnonce+":auth:"+ha2)
	} else {
		response = hexHash(newHash, ha1+":"+c.nonce+":"+ha2)
	}

	var b strings.Builder
	fmt.Fprintf(&b, `Digest username=%q, realm=%q, nonce=%q, uri=%q, algorithm=%s, response=%q`,
		a.Username, c.realm, c.nonce, uri, c.algorithm, response)
	if c.qop == "auth" {
		fmt.Fprintf(&b, `, qop=auth, nc=%s, cnonce=%q`, nc, cnonce)
	}
	if c.opaque != "" {
		fmt.Fprintf(&b, `, opaque=%q`, c.opaque)
	}
	return b.String()
}

func hexHash(newHash func() hash.Hash, s string) string {
	h := newHash()
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// parseAuthParams reads the comma-separated name=value pairs of a
// challenge, values quoted or not (RFC 9110, section 11.2).
func parseAuthParams(s string) map[string]string {
	out := map[string]string{}
	for s != "" {
		s = strings.TrimLeft(s, " ,")
		name, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		name = strings.ToLower(strings.TrimSpace(name))
		rest = strings.TrimLeft(rest, " ")
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			val = b.String()
			if i < len(rest) {
				i++
			}
			s = rest[i:]
		} else {
			val, s, _ = strings.Cut(rest, ",")
			val = strings.TrimSpace(val)
		}
		out[name] = val
	}
	return out
}
