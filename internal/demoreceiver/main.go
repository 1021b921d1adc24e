// Command demoreceiver is the webhook receiver of the demos. It prints every
// webhook it receives, and it is a validation action at two paths:
// /validate/excerpt rejects a WordPress post without an excerpt, and
// /validate/comment rejects a workflow command without a comment.
//
// Usage:
//
//	go run ./internal/demoreceiver [-addr 127.0.0.1:9000]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	flag.Parse()

	var mu sync.Mutex
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		printWebhook(r, body)
		mu.Unlock()

		switch r.URL.Path {
		case "/validate/excerpt":
			answerValidation(w, body)
			return
		case "/validate/comment":
			requireComment(w, body)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})

	log.Printf("demo receiver listening on http://%s", *addr)
	if err := http.ListenAndServe(*addr, nil); err != nil {
		log.Fatal(err)
	}
}

func printWebhook(r *http.Request, body []byte) {
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "  ", "  ") != nil {
		pretty.Write(body)
	}
	kind := "event handler"
	var probe struct {
		EventName  string
		ActionName string
	}
	_ = json.Unmarshal(body, &probe)
	switch {
	case bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")):
		kind = "XML payload"
	case probe.EventName != "":
		kind = "event handler, " + probe.EventName
	case probe.ActionName != "":
		kind = "action " + probe.ActionName
	}
	fmt.Fprintf(os.Stdout, "\n>>> POST %s (%s)\n  webhook-id: %s\n  %s\n", r.URL.Path, kind, r.Header.Get("webhook-id"), pretty.String())
}

// requireComment accepts a workflow command only when the editor gave a
// comment, such as who checked the item.
func requireComment(w http.ResponseWriter, body []byte) {
	var p struct {
		Comments []struct{ Value string }
	}
	verdict := map[string]any{"IsValid": false, "Message": "Say in the comment who checked this item."}
	if json.Unmarshal(body, &p) == nil && len(p.Comments) > 0 && strings.TrimSpace(p.Comments[0].Value) != "" {
		verdict = map[string]any{"IsValid": true, "Message": ""}
	}
	fmt.Fprintf(os.Stdout, "<<< verdict: %v\n", verdict)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(verdict)
}

// answerValidation accepts a post only when its excerpt is not empty, the
// kind of editorial rule a validation action enforces.
func answerValidation(w http.ResponseWriter, body []byte) {
	var p struct {
		DataItem struct {
			VersionedFields []struct {
				ID    string `json:"Id"`
				Value string `json:"Value"`
			}
		}
	}
	verdict := map[string]any{"IsValid": false, "Message": "Add an excerpt before the post is published."}
	if json.Unmarshal(body, &p) == nil {
		for _, f := range p.DataItem.VersionedFields {
			if f.ID == "excerpt" && strings.TrimSpace(f.Value) != "" {
				verdict = map[string]any{"IsValid": true, "Message": ""}
			}
		}
	}
	fmt.Fprintf(os.Stdout, "<<< verdict: %v\n", verdict)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(verdict)
}
