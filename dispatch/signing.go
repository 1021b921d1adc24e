package dispatch

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// secretPrefix starts a Standard Webhooks secret: "whsec_" followed by the
// base64 form of the key bytes.
const secretPrefix = "whsec_"

// signingKey is a decoded Standard Webhooks secret.
type signingKey []byte

// parseSigningSecret decodes a "whsec_..." secret. The error never contains
// the secret.
func parseSigningSecret(s string) (signingKey, error) {
	rest, ok := strings.CutPrefix(s, secretPrefix)
	if !ok {
		return nil, fmt.Errorf("signing secret must start with %q", secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("signing secret is not valid base64 after %q", secretPrefix)
	}
	// Standard Webhooks secrets are 24 to 64 random bytes.
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("signing secret must decode to 24 to 64 bytes, not %d", len(key))
	}
	return key, nil
}

// signHeaders returns the webhook-timestamp and webhook-signature values
// of the Standard Webhooks specification (version 1.0): for each key, "v1,"
// and the base64 HMAC-SHA256 of "id.timestamp.body", separated by spaces,
// so that receivers can rotate secrets.
func signHeaders(keys []signingKey, id string, at time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(at.Unix(), 10)
	sigs := make([]string, 0, len(keys))
	for _, key := range keys {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write([]byte(timestamp))
		mac.Write([]byte{'.'})
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return timestamp, strings.Join(sigs, " ")
}
