// Command sitecoreemulator serves the emulator of Sitecore's
// content-management APIs that the integration tests use, so that the
// Sitecore example can be tried without a Sitecore instance. It prints a
// bearer token that the emulator accepts for the user.
//
// Usage:
//
//	go run ./internal/sitecoreemulator [-addr 127.0.0.1:8082] [-user 'sitecore\editor']
package main

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"

	"github.com/cmshooks/caddy-cms-webhooks/integration/sitecore"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "listen address")
	user := flag.String("user", `sitecore\editor`, "user name that the token's name claim carries")
	flag.Parse()

	token := unsignedJWT(*user)
	emu := sitecore.NewEmulator(sitecore.Options{Tokens: map[string]string{token: *user}})

	fmt.Printf("Sitecore CM emulator on http://%s\n", *addr)
	fmt.Printf("token for %s:\n%s\n", *user, token)
	fmt.Printf("seeded news article %s, workflow commands Submit %s and Approve %s\n",
		sitecore.HarbourFestivalID, sitecore.SubmitCommandID, sitecore.ApproveCommandID)
	log.Fatal(http.ListenAndServe(*addr, emu))
}

// unsignedJWT returns a JWT with the name claim and no signature: the
// emulator accepts it by its text, and the sidecar reads the claim without
// verifying it, as it leaves verification to the CMS.
func unsignedJWT(user string) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]string{"name": user})
	return header + "." + enc.EncodeToString(claims) + "."
}
