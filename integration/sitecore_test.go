package integration

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/integration/sitecore"
)

// scEditor is the user that the Sitecore tests' bearer token authenticates.
const scEditor = `sitecore\editor`

// scUnknownID is an item id that the emulator's content tree does not hold.
const scUnknownID = "5f0c4b7e-2d1a-4c3b-9e8f-7a6b5c4d3e2f"

// scItemEvents are the events that Authoring API item mutations produce.
const scItemEvents = "item:added item:saved item:deleting item:deleted item:renamed item:moved item:copied item:versionAdded item:versionRemoved"

// scToken returns a bearer token for the user: a JWT signed with HS256
// whose "name" claim is the user name, as Sitecore Identity issues it. The
// emulator accepts it by its text; the sidecar reads the claim unverified.
func scToken(user string) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{
		"iss":  "https://identity.example.org",
		"sub":  "7d3f9a52-editor",
		"name": user,
		"exp":  4102444800,
	})
	unsigned := header + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, []byte("integration test signing key"))
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(mac.Sum(nil))
}

// scBraced spells a dashed GUID as Sitecore's raw values do:
// {0DB0CE8C-77A3-4969-903F-138C626483D1}.
func scBraced(id string) string {
	return "{" + strings.ToUpper(id) + "}"
}

// scHex spells a dashed GUID as 32 hex digits, the Authoring API's default.
func scHex(id string) string {
	return strings.ReplaceAll(id, "-", "")
}

// scCMS is an emulated Sitecore CM on a loopback port and, once started,
// the sidecar in front of it.
type scCMS struct {
	emu   *sitecore.Emulator
	srv   *httptest.Server
	token string
	caddy *caddyServer
}

// newSitecoreCMS starts an emulator with the options that accepts the
// editor's token.
func newSitecoreCMS(t *testing.T, opts sitecore.Options) *scCMS {
	t.Helper()
	token := scToken(scEditor)
	opts.Tokens = map[string]string{token: scEditor}
	emu := sitecore.NewEmulator(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return &scCMS{emu: emu, srv: srv, token: token}
}

// startSitecoreSidecar starts an emulator and a sidecar in front of it
// whose cms_webhooks block has "cms sitecore" and the given lines.
func startSitecoreSidecar(t *testing.T, lines string) *scCMS {
	t.Helper()
	return startSitecoreSidecarWith(t, sitecore.Options{}, lines)
}

// startSitecoreSidecarWith is startSitecoreSidecar with emulator options.
func startSitecoreSidecarWith(t *testing.T, opts sitecore.Options, lines string) *scCMS {
	t.Helper()
	s := newSitecoreCMS(t, opts)
	site := fmt.Sprintf("cms_webhooks {\n\tcms sitecore\n%s\n}\nreverse_proxy %s", indent(lines, "\t"), s.srv.Listener.Addr())
	s.caddy = startCaddy(t, caddyOptions{site: site})
	return s
}

// call sends a request with the editor's bearer token. A string body is
// sent as it is, any other body as JSON.
func (s *scCMS) call(t *testing.T, method, target string, body any) *response {
	t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encoding request body: %v", err)
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, target, reader)
	if err != nil {
		t.Fatalf("building %s %s: %v", method, target, err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return send(t, req)
}

// viaSidecar posts a GraphQL request to an endpoint path through the
// sidecar.
func (s *scCMS) viaSidecar(t *testing.T, endpoint string, body any) *response {
	t.Helper()
	return s.call(t, http.MethodPost, s.caddy.URL+endpoint, body)
}

// gqlData checks that a GraphQL response is a 200 without errors and
// returns its data.
func gqlData(t *testing.T, what string, r *response) map[string]any {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("%s: status %d, want 200: %.500s", what, r.Status, r.Body)
	}
	obj := r.object(t)
	if obj["errors"] != nil {
		t.Fatalf("%s: GraphQL errors in the response: %.500s", what, r.Body)
	}
	data, ok := obj["data"].(map[string]any)
	if !ok {
		t.Fatalf("%s: response has no data object: %.500s", what, r.Body)
	}
	return data
}

// direct runs an Authoring API request on the emulator without the
// sidecar, to prepare content, and fails on any GraphQL error.
func (s *scCMS) direct(t *testing.T, query string) map[string]any {
	t.Helper()
	return gqlData(t, "preparing content on the emulator", s.call(t, http.MethodPost, s.srv.URL+sitecore.AuthoringPath, map[string]any{"query": query}))
}

// newArticle creates a News Article below News on the emulator, without the
// sidecar, and returns the id that the emulator gave it.
func (s *scCMS) newArticle(t *testing.T, name string) string {
	t.Helper()
	s.direct(t, fmt.Sprintf(`mutation { createItem(input: {name: %q, templateId: %q, parent: %q, language: "en", fields: [{name: "Headline", value: %q}]}) { item { itemId } } }`,
		name, sitecore.NewsArticleTemplateID, sitecore.NewsID, "Headline of "+name))
	return s.item(t, "/sitecore/content/Home/News/"+name).ID
}

// addVersion adds a version in English to an item on the emulator, without
// the sidecar.
func (s *scCMS) addVersion(t *testing.T, id string) {
	t.Helper()
	s.direct(t, fmt.Sprintf(`mutation { addItemVersion(input: {itemId: %q, language: "en"}) { item { version } } }`, id))
}

// item returns the emulator's copy of an item by id or path.
func (s *scCMS) item(t *testing.T, idOrPath string) sitecore.Item {
	t.Helper()
	it, ok := s.emu.Item(idOrPath)
	if !ok {
		t.Fatalf("the emulator has no item %s", idOrPath)
	}
	return it
}

// latestVersion returns the item's latest version in English, as the
// emulator stores it.
func latestVersion(t *testing.T, it sitecore.Item) sitecore.ItemVersion {
	t.Helper()
	versions := it.Versions["en"]
	if len(versions) == 0 {
		t.Fatalf("item %s has no version in en", it.Path)
	}
	return versions[len(versions)-1]
}

// scEvent matches an event handler delivery by event name and the id of
// its Item, or of its Copy for item:copied.
func scEvent(name, id string) func(recorded) bool {
	return func(r recorded) bool {
		if str(r.JSON, "EventName") != name {
			return false
		}
		if name == "item:copied" {
			return str(r.JSON, "Copy", "Id") == id
		}
		return str(r.JSON, "Item", "Id") == id
	}
}

// scEventKey names a delivery by its event and item id, as scWant does.
func scEventKey(r recorded) string {
	id := str(r.JSON, "Item", "Id")
	if id == "" {
		id = str(r.JSON, "Copy", "Id")
	}
	return str(r.JSON, "EventName") + " " + id
}

// scWant is one event handler delivery that a request must cause, with
// extra checks of its payload.
type scWant struct {
	event string
	id    string
	check func(t *testing.T, payload map[string]any)
}

// waitWants waits for each wanted delivery and runs its checks.
func waitWants(t *testing.T, rc *receiver, wants []scWant) {
	t.Helper()
	for _, w := range wants {
		got := rc.waitFor(t, w.event+" for "+w.id, scEvent(w.event, w.id))
		if w.check != nil {
			w.check(t, got.JSON)
		}
	}
}

// wantNoOtherEvents saves Home through the sidecar and waits for its
// item:saved. With one delivery worker, that delivery comes after every
// delivery queued before it, so the receiver then has all the events of the
// earlier requests. It fails for each event received that wants does not
// list, and for each one received more often than listed.
func (s *scCMS) wantNoOtherEvents(t *testing.T, rc *receiver, wants []scWant) {
	t.Helper()
	gqlData(t, "closing save of Home", s.viaSidecar(t, sitecore.AuthoringPath, map[string]any{"query": fmt.Sprintf(
		`mutation { updateItem(input: {itemId: %q, language: "en", fields: [{name: "Title", value: "Home, saved last"}]}) { item { itemId } } }`, sitecore.HomeID)}))
	rc.waitFor(t, "item:saved of the closing save of Home", scEvent("item:saved", sitecore.HomeID))

	want := map[string]int{"item:saved " + sitecore.HomeID: 1}
	for _, w := range wants {
		want[w.event+" "+w.id]++
	}
	got := map[string]int{}
	for _, r := range rc.all() {
		got[scEventKey(r)]++
	}
	for key, n := range got {
		if n != want[key] {
			t.Errorf("received %d × %q, want %d; all requests received:\n%s", n, key, want[key], rc.dump())
		}
	}
}

// wantStrings compares string members of a payload, named by dotted paths
// such as "Item.ParentId", with the expected values.
func wantStrings(t *testing.T, what string, payload any, want map[string]string) {
	t.Helper()
	for p, w := range want {
		if got := str(payload, strings.Split(p, ".")...); got != w {
			t.Errorf("%s %s = %q, want %q", what, p, got, w)
		}
	}
}

// wantAbsent checks that a payload has none of the keys, named by dotted
// paths.
func wantAbsent(t *testing.T, what string, payload any, keys ...string) {
	t.Helper()
	for _, p := range keys {
		if v := field(payload, strings.Split(p, ".")...); v != nil {
			t.Errorf("%s has %s = %v, want none: only an enriching webhook reads it from the CMS", what, p, v)
		}
	}
}

// scAuthoringEventsSidecar starts a sidecar whose one event handler takes
// every item event, with one delivery worker so that wantNoOtherEvents can
// check for extra events.
func scAuthoringEventsSidecar(t *testing.T) (*scCMS, *receiver) {
	t.Helper()
	rc := newReceiver(t)
	s := startSitecoreSidecar(t, fmt.Sprintf(`
event_handler "Content sync" {
	events %s
	url %s
}
delivery {
	workers 1
}`, scItemEvents, rc.URL("/events")))
	return s, rc
}

// Every Authoring API item mutation, in the GraphQL forms that clients
// send, fires its Sitecore event for the item that the emulator changed,
// and a batched entry that failed fires nothing.
func TestSitecoreAuthoringMutationsFireEvents(t *testing.T) {
	s, rc := scAuthoringEventsSidecar(t)

	cases := []struct {
		name string
		run  func(t *testing.T) []scWant
	}{
		{
			name: "createItem with variables",
			run: func(t *testing.T) []scWant {
				gqlData(t, "createItem", s.viaSidecar(t, sitecore.AuthoringPath, map[string]any{
					"query": `mutation CreateArticle($input: CreateItemInput!) { createItem(input: $input) { item { itemId name path } } }`,
					"variables": map[string]any{"input": map[string]any{
						"name":       "winter-menu",
						"templateId": scBraced(sitecore.NewsArticleTemplateID),
						"parent":     scBraced(sitecore.NewsID),
						"language":   "en",
						"fields":     []map[string]any{{"name": "Headline", "value": "Winter menu"}},
					}},
				}))
				created := s.item(t, "/sitecore/content/Home/News/winter-menu")
				return []scWant{{event: "item:added", id: created.ID, check: func(t *testing.T, p map[string]any) {
					wantStrings(t, "item:added", p, map[string]string{
						"Item.TemplateId": created.TemplateID,
						"Item.ParentId":   created.ParentID,
						"Item.Language":   "en",
						"Item.Name":       created.Name,
					})
				}}}
			},
		},
		{
			name: "updateItem under an alias",
			run: func(t *testing.T) []scWant {
				id := s.newArticle(t, "quay-market")
				data := gqlData(t, "updateItem", s.viaSidecar(t, sitecore.AuthoringPath, map[string]any{"query": fmt.Sprintf(
					`mutation { retitle: updateItem(input: {itemId: %q, language: "en", fields: [{name: "Headline", value: "Quay market opens"}]}) { item { itemId version } } }`, scHex(id))}))
				if data["retitle"] == nil {
					t.Fatalf("the response has no entry under the alias retitle: %v", data)
				}
				if got, _ := sitecore.Field(latestVersion(t, s.item(t, id)).Fields, "Headline"); got != "Quay market opens" {
					t.Fatalf("the emulator's Headline = %q after the update", got)
				}
				return []scWant{{event: "item:saved", id: id, check: func(t *testing.T, p map[string]any) {
					wantStrings(t, "item:saved", p, map[string]string{"Item.Language": "en"})
				}}}
			},
		},
		{
			name: "rename and move in one document",
			run: func(t *testing.T) []scWant {
				renamed := s.newArticle(t, "spring-fair")
				moved := s.newArticle(t, "ferry-timetable")
				gqlData(t, "renameItem and moveItem", s.viaSidecar(t, sitecore.AuthoringPath, map[string]any{"query": fmt.Sprintf(`mutation {
  renameItem(input: {itemId: %q, newName: "spring-fair-2026"}) { item { itemId name } }
  moveItem(input: {itemId: %q, targetParentId: %q}) { item { itemId } }
}`, scBraced(renamed), moved, scBraced(sitecore.HomeID))}))
				afterRename := s.item(t, renamed)
				afterMove := s.item(t, moved)
				if afterRename.Name != "spring-fair-2026" || afterMove.ParentID != sitecore.HomeID {
					t.Fatalf("the emulator did not apply both mutations: name %q, parent %s", afterRename.Name, afterMove.ParentID)
				}
				return []scWant{
					{event: "item:renamed", id: renamed, check: func(t *testing.T, p map[string]any) {
						wantStrings(t, "item:renamed", p, map[string]string{"Item.Name": afterRename.Name})
					}},
					{event: "item:moved", id: moved, check: func(t *testing.T, p map[string]any) {
						wantStrings(t, "item:moved", p, map[string]string{"Item.ParentId": afterMove.ParentID})
					}},
				}
			},
		},
		{
			name: "deleteItem chosen by operationName",
			run: func(t *testing.T) []scWant {
				deleted := s.newArticle(t, "cancelled-regatta")
				notRenamed := s.newArticle(t, "lighthouse-tour")
				gqlData(t, "deleteItem", s.viaSidecar(t, sitecore.AuthoringPath, map[string]any{
					"operationName": "Remove",
					"query": fmt.Sprintf(`mutation Remove { deleteItem(input: {itemId: %q, permanently: true}) { successful } }
mutation Rename { renameItem(input: {itemId: %q, newName: "never-renamed"}) { item { itemId } } }`, scBraced(deleted), scBraced(notRenamed)),
				}))
				if _, ok := s.emu.Item(deleted); ok {
					t.Fatalf("the emulator still has the deleted item %s", deleted)
				}
				if got := s.item(t, notRenamed).Name; got != "lighthouse-tour" {
					t.Fatalf("the operation that did not run renamed item %s to %q", notRenamed, got)
				}
				return []scWant{{event: "item:deleting", id: deleted}, {event: "item:deleted", id: deleted}}
			},
		},
		{
			name: "copyItem in a fragment",
			run: func(t *testing.T) []scWant {
				source := s.newArticle(t, "fish-auction")
				gqlData(t, "copyItem", s.viaSidecar(t, sitecore.AuthoringPath, map[string]any{"query": fmt.Sprintf(`mutation Duplicate { ...CopyArticle }
fragment CopyArticle on Mutation {
  copyItem(input: {itemId: %q, targetParentId: %q, copyItemName: "fish-auction-copy"}) { item { itemId name } }
}`, source, sitecore.HomeID)}))
				dup := s.item(t, "/sitecore/content/Home/fish-auction-copy")
				return []scWant{{event: "item:copied", id: dup.ID, check: func(t *testing.T, p map[string]any) {
					wantStrings(t, "item:copied", p, map[string]string{
						"Source.Id":     source,
						"Copy.ParentId": dup.ParentID,
					})
				}}}
			},
		},
		{
			name: "addItemVersion beside failing entry",
			run: func(t *testing.T) []scWant {
				id := s.newArticle(t, "tall-ships")
				resp := s.viaSidecar(t, sitecore.AuthoringPath, []map[string]any{
					{"query": fmt.Sprintf(`mutation { updateItem(input: {itemId: %q, language: "en", fields: [{name: "Headline", value: "Lost"}]}) { item { itemId } } }`, scUnknownID)},
					{
						"operationName": "AddVersion",
						"query":         `mutation AddVersion($id: ID!) { addItemVersion(input: {itemId: $id, language: "en"}) { item { itemId version } } }`,
						"variables":     map[string]any{"id": scBraced(id)},
					},
				})
				var answers []map[string]any
				if err := json.Unmarshal(resp.Body, &answers); resp.Status != http.StatusOK || err != nil || len(answers) != 2 {
					t.Fatalf("batch: status %d, want 200 with two responses: %.500s", resp.Status, resp.Body)
				}
				if answers[0]["errors"] == nil || answers[1]["errors"] != nil {
					t.Fatalf("batch: want an error in the first response only: %.500s", resp.Body)
				}
				version := latestVersion(t, s.item(t, id))
				if version.Number != 2 {
					t.Fatalf("the emulator's latest version is %d after addItemVersion, want 2", version.Number)
				}
				return []scWant{{event: "item:versionAdded", id: id, check: func(t *testing.T, p map[string]any) {
					if got := field(p, "Item", "Version"); got != json.Number(fmt.Sprint(version.Number)) {
						t.Errorf("item:versionAdded Item.Version = %v, want %d, the new version", got, version.Number)
					}
				}}}
			},
		},
		{
			name: "deleteItemVersion",
			run: func(t *testing.T) []scWant {
				id := s.newArticle(t, "boat-show")
				s.addVersion(t, id)
				removed := latestVersion(t, s.item(t, id)).Number
				gqlData(t, "deleteItemVersion", s.viaSidecar(t, sitecore.AuthoringPath, map[string]any{"query": fmt.Sprintf(
					`mutation { deleteItemVersion(input: {itemId: %q, language: "en", version: %d}) { item { itemId version } } }`, id, removed)}))
				if left := latestVersion(t, s.item(t, id)).Number; left == removed {
					t.Fatalf("the emulator still has version %d", removed)
				}
				return []scWant{{event: "item:versionRemoved", id: id, check: func(t *testing.T, p map[string]any) {
					if got := field(p, "Item", "Version"); got != json.Number(fmt.Sprint(removed)) {
						t.Errorf("item:versionRemoved Item.Version = %v, want %d, the removed version", got, removed)
					}
				}}}
			},
		},
	}

	var wants []scWant
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.run(t)
			wants = append(wants, w...)
			waitWants(t, rc, w)
		})
	}
	s.wantNoOtherEvents(t, rc, wants)
}

// A mutation that the CMS reports in errors inside a 200 response fires
// nothing, while its sibling in the same document fires.
func TestSitecoreFailedMutationFiresNothing(t *testing.T) {
	s, rc := scAuthoringEventsSidecar(t)
	id := s.newArticle(t, "night-swim")

	resp := s.viaSidecar(t, sitecore.AuthoringPath, map[string]any{"query": fmt.Sprintf(`mutation {
  saved: updateItem(input: {itemId: %q, language: "en", fields: [{name: "Headline", value: "Night swim moves to Friday"}]}) { item { itemId } }
  gone: deleteItem(input: {itemId: %q}) { successful }
}`, id, scUnknownID)})
	if resp.Status != http.StatusOK {
		t.Fatalf("status %d, want 200: %.500s", resp.Status, resp.Body)
	}
	body := resp.object(t)
	errs, _ := body["errors"].([]any)
	if len(errs) != 1 || fmt.Sprint(field(errs[0], "path")) != "[gone]" {
		t.Fatalf("want one error with path [gone] from the emulator: %.500s", resp.Body)
	}
	if field(body, "data", "saved") == nil {
		t.Fatalf("the update failed too: %.500s", resp.Body)
	}

	wants := []scWant{{event: "item:saved", id: id}}
	waitWants(t, rc, wants)
	s.wantNoOtherEvents(t, rc, wants)
}

// ItemService REST writes fire item:added for the id in Location,
// item:saved, and item:deleting and item:deleted. A write that the CMS
// rejects fires nothing.
func TestSitecoreItemServiceFiresEvents(t *testing.T) {
	s, rc := scAuthoringEventsSidecar(t)
	base := s.caddy.URL + sitecore.ItemServicePath

	created := s.call(t, http.MethodPost, base+"/sitecore%2Fcontent%2FHome%2FNews?database=master&language=en", map[string]string{
		"ItemName":   "harbour-tour",
		"TemplateID": sitecore.NewsArticleTemplateID,
		"Headline":   "Harbour tour by boat",
	})
	if created.Status != http.StatusCreated {
		t.Fatalf("create: status %d, want 201: %.500s", created.Status, created.Body)
	}
	location, err := url.Parse(created.Header.Get("Location"))
	if err != nil || location.Path == "" {
		t.Fatalf("create: Location %q is not a URL: %v", created.Header.Get("Location"), err)
	}
	id := path.Base(location.Path)
	stored := s.item(t, "/sitecore/content/Home/News/harbour-tour")
	if stored.ID != id {
		t.Fatalf("Location names item %s, the emulator stored %s", id, stored.ID)
	}

	updated := s.call(t, http.MethodPatch, base+"/"+id+"?database=master&language=en&version=1", map[string]string{"Headline": "Harbour tour by boat, daily"})
	if updated.Status != http.StatusNoContent {
		t.Fatalf("update: status %d, want 204: %.500s", updated.Status, updated.Body)
	}
	missing := s.call(t, http.MethodPatch, base+"/"+scUnknownID+"?database=master&language=en", map[string]string{"Headline": "Nobody reads this"})
	if missing.Status != http.StatusNotFound {
		t.Fatalf("update of an unknown item: status %d, want 404: %.500s", missing.Status, missing.Body)
	}
	deleted := s.call(t, http.MethodDelete, base+"/"+id+"?database=master", nil)
	if deleted.Status != http.StatusNoContent {
		t.Fatalf("delete: status %d, want 204: %.500s", deleted.Status, deleted.Body)
	}
	if _, ok := s.emu.Item(id); ok {
		t.Fatalf("the emulator still has item %s after the delete", id)
	}

	wants := []scWant{
		{event: "item:added", id: id, check: func(t *testing.T, p map[string]any) {
			wantStrings(t, "item:added", p, map[string]string{
				"Item.Name":       stored.Name,
				"Item.TemplateId": stored.TemplateID,
				"Item.Language":   "en",
			})
		}},
		{event: "item:saved", id: id},
		{event: "item:deleting", id: id},
		{event: "item:deleted", id: id},
	}
	waitWants(t, rc, wants)
	s.wantNoOtherEvents(t, rc, wants)
}

// When the CMS compresses its responses, the sidecar decompresses a
// response before it reads the created item's id from it.
func TestSitecoreCompressedResponseFiresEvents(t *testing.T) {
	rc := newReceiver(t)
	s := startSitecoreSidecarWith(t, sitecore.Options{GzipResponses: true}, fmt.Sprintf(`
event_handler "Content sync" {
	events item:added
	url %s
}`, rc.URL("/events")))

	gqlData(t, "createItem", s.viaSidecar(t, sitecore.AuthoringPath, map[string]any{"query": fmt.Sprintf(
		`mutation { createItem(input: {name: "compressed-news", templateId: %q, parent: %q, language: "en"}) { item { itemId } } }`,
		sitecore.NewsArticleTemplateID, sitecore.NewsID)}))
	requests := s.emu.Requests()
	if last := requests[len(requests)-1]; !strings.Contains(last.Header.Get("Accept-Encoding"), "gzip") {
		t.Fatalf("the createItem request reached the emulator with Accept-Encoding %q, so its response was not compressed", last.Header.Get("Accept-Encoding"))
	}

	created := s.item(t, "/sitecore/content/Home/News/compressed-news")
	rc.waitFor(t, "item:added of the created item", scEvent("item:added", created.ID))
}

// payloadFields maps the field ids in an Item payload's three field lists
// to their values.
func payloadFields(item any) map[string]string {
	out := map[string]string{}
	for _, list := range []string{"SharedFields", "UnversionedFields", "VersionedFields"} {
		entries, _ := field(item, list).([]any)
		for _, e := range entries {
			out[str(e, "Id")] = str(e, "Value")
		}
	}
	return out
}

// wantStoredFields checks that an enriched Item payload carries every field
// of the emulator's item with its stored value, and the versioned fields in
// VersionedFields with their version and language.
func wantStoredFields(t *testing.T, what string, item any, stored sitecore.Item) {
	t.Helper()
	got := payloadFields(item)
	if len(got) == 0 {
		t.Errorf("%s has no fields, want every field of the stored item %s", what, stored.Path)
		return
	}
	version := latestVersion(t, stored)
	all := append(append(append([]sitecore.FieldValue(nil), stored.SharedFields...), stored.UnversionedFields["en"]...), version.Fields...)
	for _, f := range all {
		value, ok := got[f.ID]
		if !ok {
			t.Errorf("%s has no field %s (%s)", what, f.ID, f.Name)
			continue
		}
		if value != f.Value {
			t.Errorf("%s field %s (%s) = %q, want the stored %q", what, f.ID, f.Name, value, f.Value)
		}
	}

	versioned := map[string]any{}
	entries, _ := field(item, "VersionedFields").([]any)
	for _, e := range entries {
		versioned[str(e, "Id")] = e
	}
	for _, f := range version.Fields {
		e, ok := versioned[f.ID]
		if !ok {
			t.Errorf("%s VersionedFields has no versioned field %s (%s)", what, f.ID, f.Name)
			continue
		}
		if v := field(e, "Version"); v != json.Number(fmt.Sprint(version.Number)) {
			t.Errorf("%s VersionedFields %s Version = %v, want %d", what, f.Name, v, version.Number)
		}
		if l := str(e, "Language"); l != "en" {
			t.Errorf("%s VersionedFields %s Language = %q, want en", what, f.Name, l)
		}
	}
}

// An event handler with enrich gets the item as the CMS stores it and the
// values from before the write (OriginalValue, OldName, OldParentID, the
// deleted item's ParentID). One without enrich gets only the values that
// the request and the response carry.
func TestSitecoreEnrichmentReadsStoredItem(t *testing.T) {
	enriched := newReceiver(t)
	plain := newReceiver(t)
	events := "item:saved item:renamed item:moved item:deleted item:versionRemoved"
	s := startSitecoreSidecar(t, fmt.Sprintf(`
event_handler "Search index" {
	events %s
	url %s
	enrich
}
event_handler "Audit log" {
	events %s
	url %s
}`, events, enriched.URL("/search"), events, plain.URL("/audit")))

	cases := []struct {
		name  string
		event string
		id    func(t *testing.T) string
		query string

		// check gets the enriched payload, the emulator's item before and
		// after the write (after is the zero Item once the item is
		// deleted), and the plain payload.
		check func(t *testing.T, rich map[string]any, before, after sitecore.Item, basic map[string]any)
	}{
		{
			name:  "updateItem of the Headline",
			event: "item:saved",
			id:    func(*testing.T) string { return sitecore.HarbourFestivalID },
			query: `mutation { updateItem(input: {itemId: %q, language: "en", fields: [{name: "Headline", value: "Harbour festival returns in June"}]}) { item { itemId } } }`,
			check: func(t *testing.T, rich map[string]any, before, after sitecore.Item, basic map[string]any) {
				oldValue, _ := sitecore.Field(latestVersion(t, before).Fields, "Headline")
				newValue, _ := sitecore.Field(latestVersion(t, after).Fields, "Headline")
				changes, _ := field(rich, "Changes", "FieldChanges").([]any)
				var headline any
				for _, c := range changes {
					if str(c, "FieldId") == sitecore.HeadlineFieldID {
						headline = c
					}
				}
				if headline == nil {
					t.Errorf("enriched item:saved Changes.FieldChanges has no Headline (%s): %v", sitecore.HeadlineFieldID, field(rich, "Changes"))
				} else {
					wantStrings(t, "Headline change", headline, map[string]string{"Value": newValue, "OriginalValue": oldValue})
				}
				wantStoredFields(t, "enriched item:saved Item", rich["Item"], after)
				wantStrings(t, "enriched item:saved", rich, map[string]string{
					"Item.Name":       after.Name,
					"Item.TemplateId": after.TemplateID,
					"Item.ParentId":   after.ParentID,
				})

				wantStrings(t, "plain item:saved", basic, map[string]string{"Item.Id": sitecore.HarbourFestivalID, "Item.Language": "en"})
				wantAbsent(t, "plain item:saved", basic, "Changes", "Item.SharedFields", "Item.UnversionedFields", "Item.VersionedFields")
			},
		},
		{
			name:  "renameItem",
			event: "item:renamed",
			id:    func(t *testing.T) string { return s.newArticle(t, "regatta") },
			query: `mutation { renameItem(input: {itemId: %q, newName: "summer-regatta"}) { item { itemId } } }`,
			check: func(t *testing.T, rich map[string]any, before, after sitecore.Item, basic map[string]any) {
				wantStrings(t, "enriched item:renamed", rich, map[string]string{"OldName": before.Name, "Item.Name": after.Name})
				wantStoredFields(t, "enriched item:renamed Item", rich["Item"], after)
				wantStrings(t, "plain item:renamed", basic, map[string]string{"Item.Name": after.Name})
				wantAbsent(t, "plain item:renamed", basic, "OldName")
			},
		},
		{
			name:  "moveItem",
			event: "item:moved",
			id:    func(t *testing.T) string { return s.newArticle(t, "sailing-school") },
			query: `mutation { moveItem(input: {itemId: %q, targetParentPath: "/sitecore/content/Home"}) { item { itemId } } }`,
			check: func(t *testing.T, rich map[string]any, before, after sitecore.Item, basic map[string]any) {
				wantStrings(t, "enriched item:moved", rich, map[string]string{"OldParentID": before.ParentID, "Item.ParentId": after.ParentID})
				wantAbsent(t, "plain item:moved", basic, "OldParentID")
			},
		},
		{
			name:  "deleteItem",
			event: "item:deleted",
			id:    func(t *testing.T) string { return s.newArticle(t, "closed-kiosk") },
			query: `mutation { deleteItem(input: {itemId: %q}) { successful } }`,
			check: func(t *testing.T, rich map[string]any, before, _ sitecore.Item, basic map[string]any) {
				wantStrings(t, "enriched item:deleted", rich, map[string]string{
					"ParentID":        before.ParentID,
					"Item.Name":       before.Name,
					"Item.TemplateId": before.TemplateID,
				})
				wantStoredFields(t, "enriched item:deleted Item", rich["Item"], before)
				wantAbsent(t, "plain item:deleted", basic, "ParentID", "Item.VersionedFields")
			},
		},
		{
			name:  "deleteItemVersion",
			event: "item:versionRemoved",
			id: func(t *testing.T) string {
				id := s.newArticle(t, "harbour-lights")
				s.addVersion(t, id)
				return id
			},
			query: `mutation { deleteItemVersion(input: {itemId: %q, language: "en", version: 2}) { item { itemId } } }`,
			check: func(t *testing.T, rich map[string]any, before, _ sitecore.Item, basic map[string]any) {
				removed := json.Number(fmt.Sprint(latestVersion(t, before).Number))
				if got := field(rich, "Item", "Version"); got != removed {
					t.Errorf("enriched item:versionRemoved Item.Version = %v, want %s, the removed version", got, removed)
				}
				wantStoredFields(t, "enriched item:versionRemoved Item", rich["Item"], before)
				if got := field(basic, "Item", "Version"); got != removed {
					t.Errorf("plain item:versionRemoved Item.Version = %v, want %s, the removed version", got, removed)
				}
				wantAbsent(t, "plain item:versionRemoved", basic, "Item.VersionedFields")
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.id(t)
			before := s.item(t, id)
			gqlData(t, tc.name, s.viaSidecar(t, sitecore.AuthoringPath, map[string]any{"query": fmt.Sprintf(tc.query, id)}))
			after, _ := s.emu.Item(id)

			rich := enriched.waitFor(t, "enriched "+tc.event, scEvent(tc.event, id)).JSON
			basic := plain.waitFor(t, "plain "+tc.event, scEvent(tc.event, id)).JSON
			tc.check(t, rich, before, after, basic)
		})
	}
}
