package dispatch

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Kind is the kind of a webhook, as Sitecore names them.
type Kind string

const (
	KindEventHandler     Kind = "event_handler"
	KindSubmitAction     Kind = "submit_action"
	KindValidationAction Kind = "validation_action"
)

// Webhook is one configured webhook: an event handler, a submit action or a
// validation action.
type Webhook struct {
	// Name is sent as WebhookItemName (and ActionName for actions). It is
	// also the webhook's key in logs and metrics, so it must be unique.
	Name string `json:"name"`

	// ID is sent as WebhookItemId (and ActionID), a GUID. Default: a UUID
	// derived from the kind and the name, so it stays the same across
	// restarts and reloads as long as the name does.
	ID string `json:"id,omitempty"`

	// URL receives the POST. It must be http or https.
	URL string `json:"url"`

	// Serialization is the payload format: "json" (the default) or "xml".
	Serialization string `json:"serialization,omitempty"`

	// XMLRoot is the root element of XML submit and validation action
	// payloads, which Sitecore does not document. Event handler payloads
	// use "event", as Sitecore documents. Default: "data".
	XMLRoot string `json:"xml_root,omitempty"`

	// Authorization names an entry of the handler's authorizations. Empty
	// sends no credentials.
	Authorization string `json:"authorization,omitempty"`

	// Disabled turns the webhook off without removing it, like clearing
	// Sitecore's Enabled field. Default: false.
	Disabled bool `json:"disabled,omitempty"`

	// Timeout bounds one attempt. Default: 10s. For a validation action the
	// per-request budget bounds it as well.
	Timeout Duration `json:"timeout,omitempty"`

	// Events are the item events an event handler fires on, for example
	// item:added and item:saved. Event handlers only.
	Events []string `json:"events,omitempty"`

	// Rules select the items an event handler fires for. Event handlers only.
	Rules *Rules `json:"rules,omitempty"`

	// Workflow names the workflow of Command or State. It may be left out
	// when only one workflow is configured. Actions only.
	Workflow string `json:"workflow,omitempty"`

	// Command is the workflow command the action sits on. Validation
	// actions need it; a submit action has either Command or State.
	Command string `json:"command,omitempty"`

	// State makes a submit action fire when an item enters this state,
	// whatever command moved it there. NextState is then null, as in
	// Sitecore. Submit actions only.
	State string `json:"state,omitempty"`

	// OnError decides what a validation action's failure to respond means:
	// "block" (the default) blocks the command with 409, "allow" lets it
	// through. Failure is a transport error, a timeout, a non-2xx status or
	// a body without IsValid. A response with IsValid false always blocks.
	OnError string `json:"on_error,omitempty"`

	// Mode is "enforce" (the default) or "shadow". A shadow validation
	// action is called and its verdict logged, but it never blocks.
	Mode string `json:"mode,omitempty"`

	// Enrich makes the payloads of this webhook carry the item as the CMS
	// stores it, read from the CMS before and after the write: every field,
	// the template and parent, and for item:saved the Changes with their
	// OriginalValue. The reads go through the same upstream with the
	// caller's credentials. Without it, payloads carry only what the
	// request and the CMS's response tell. Default: false. Only the Sitecore
	// classifier reads the CMS for enrichment so far.
	Enrich bool `json:"enrich,omitempty"`

	// SigningSecrets turn on Standard Webhooks signatures: every request
	// carries webhook-id, webhook-timestamp and a webhook-signature with
	// one "v1," HMAC-SHA256 signature per secret, so that receivers can
	// rotate secrets. A secret is "whsec_" and the base64 form of 24 to 64
	// random bytes. Default: none, no signature headers.
	SigningSecrets []string `json:"signing_secrets,omitempty"`

	// Kind is set by the configuration that lists the webhook.
	Kind Kind `json:"-"`

	// auth is resolved from Authorization when the configuration is loaded.
	auth *Authorization

	// keys are the decoded signing secrets.
	keys []signingKey
}

// ContentType returns the Content-Type of the webhook's payloads.
func (wh *Webhook) ContentType() string {
	if wh.Serialization == "xml" {
		return ContentTypeXML
	}
	return ContentTypeJSON
}

// actionRoot returns the root element of XML action payloads.
func (wh *Webhook) actionRoot() string {
	if wh.XMLRoot != "" {
		return wh.XMLRoot
	}
	return "data"
}

// Rules select items for an event handler. All rules that are set must match;
// within one rule, any of the listed values matches.
type Rules struct {
	// Templates match the item's template name (the WordPress post type,
	// for example post or page) or template id.
	Templates []string `json:"templates,omitempty"`

	// Parents match the item's parent id.
	Parents []string `json:"parents,omitempty"`

	// Items match the item's own id.
	Items []string `json:"items,omitempty"`

	// Paths match an item at or below one of these content tree paths,
	// without regard to case, such as /sitecore/content/Home/News.
	Paths []string `json:"paths,omitempty"`
}

// Duration is a time.Duration that reads "10s" as well as nanoseconds in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string, such as "1.5s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a Go duration string or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("invalid duration %q: %v", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*d = Duration(n)
	return nil
}

// idNamespace derives default webhook ids. Changing it changes every default
// WebhookItemId that receivers may have stored.
var idNamespace = uuid.MustParse("5a0e3c57-4f0e-4d8e-9f7a-2b6f3c1d9e41")

// Prepare validates the webhook and fills its defaults. auths are the
// configured authorizations by name.
func (wh *Webhook) Prepare(kind Kind, auths map[string]*Authorization) error {
	wh.Kind = kind
	if wh.Name == "" {
		return fmt.Errorf("%s: missing name", kind)
	}
	if wh.ID == "" {
		wh.ID = uuid.NewSHA1(idNamespace, []byte(string(kind)+"/"+wh.Name)).String()
	} else {
		id, err := ParseGUID(wh.ID)
		if err != nil {
			return fmt.Errorf("%s %q: id %q: %v", kind, wh.Name, wh.ID, err)
		}
		wh.ID = id
	}
	if err := CheckURL(wh.URL); err != nil {
		return fmt.Errorf("%s %q: %v", kind, wh.Name, err)
	}
	switch wh.Serialization {
	case "", "json":
		wh.Serialization = "json"
	case "xml":
	default:
		return fmt.Errorf("%s %q: serialization %q: must be json or xml", kind, wh.Name, wh.Serialization)
	}
	if wh.Authorization != "" {
		a, ok := auths[wh.Authorization]
		if !ok {
			return fmt.Errorf("%s %q: authorization %q is not defined", kind, wh.Name, wh.Authorization)
		}
		wh.auth = a
	}
	wh.keys = nil
	for i, secret := range wh.SigningSecrets {
		key, err := parseSigningSecret(secret)
		if err != nil {
			return fmt.Errorf("%s %q: signing secret %d: %v", kind, wh.Name, i+1, err)
		}
		wh.keys = append(wh.keys, key)
	}
	if wh.Timeout < 0 {
		return fmt.Errorf("%s %q: timeout must not be negative", kind, wh.Name)
	}
	if wh.Timeout == 0 {
		wh.Timeout = Duration(10 * time.Second)
	}
	return wh.checkKindFields()
}

func (wh *Webhook) checkKindFields() error {
	kind := wh.Kind
	switch kind {
	case KindEventHandler:
		if len(wh.Events) == 0 {
			return fmt.Errorf("%s %q: no events listed, so it would never fire", kind, wh.Name)
		}
		for _, e := range wh.Events {
			if !slices.Contains(KnownEvents, e) {
				return fmt.Errorf("%s %q: unknown event %q (known: %s)", kind, wh.Name, e, strings.Join(KnownEvents, ", "))
			}
		}
	case KindValidationAction:
		if wh.Command == "" {
			return fmt.Errorf("%s %q: missing command", kind, wh.Name)
		}
	case KindSubmitAction:
		if (wh.Command == "") == (wh.State == "") {
			return fmt.Errorf("%s %q: set exactly one of command and state", kind, wh.Name)
		}
	}
	if kind != KindEventHandler && (len(wh.Events) > 0 || wh.Rules != nil) {
		return fmt.Errorf("%s %q: events and rules belong to event handlers", kind, wh.Name)
	}
	switch wh.OnError {
	case "", "block", "allow":
	default:
		return fmt.Errorf("%s %q: on_error %q: must be block or allow", kind, wh.Name, wh.OnError)
	}
	switch wh.Mode {
	case "", "enforce", "shadow":
	default:
		return fmt.Errorf("%s %q: mode %q: must be enforce or shadow", kind, wh.Name, wh.Mode)
	}
	return nil
}

// CheckURL validates a webhook URL: http or https, with a host.
func CheckURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("missing url")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("url %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("url %q: missing host", raw)
	}
	return nil
}

// Matches reports whether an event handler fires for the event on the item.
func (wh *Webhook) Matches(event string, item *Item) bool {
	if wh.Disabled || !slices.Contains(wh.Events, event) {
		return false
	}
	r := wh.Rules
	if r == nil {
		return true
	}
	if len(r.Templates) > 0 && !slices.Contains(r.Templates, item.TemplateName) && !containsGUID(r.Templates, item.TemplateID) {
		return false
	}
	if len(r.Parents) > 0 && !containsGUID(r.Parents, item.ParentID) {
		return false
	}
	if len(r.Items) > 0 && !containsGUID(r.Items, item.ID) {
		return false
	}
	if len(r.Paths) > 0 && !underAnyPath(r.Paths, item.Path) {
		return false
	}
	return true
}

// underAnyPath reports whether path is one of the roots or below one.
func underAnyPath(roots []string, path string) bool {
	if path == "" {
		return false
	}
	p := strings.ToLower(strings.TrimRight(path, "/"))
	for _, root := range roots {
		r := strings.ToLower(strings.TrimRight(root, "/"))
		if p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}

// containsGUID compares ids as GUIDs when both parse as GUIDs, so that any
// of Sitecore's spellings match, and as plain strings otherwise.
func containsGUID(list []string, id string) bool {
	if id == "" {
		return false
	}
	norm, err := ParseGUID(id)
	for _, v := range list {
		if v == id {
			return true
		}
		if err == nil {
			if n, err := ParseGUID(v); err == nil && n == norm {
				return true
			}
		}
	}
	return false
}

// ParseGUID reads a GUID in any of Sitecore's spellings (braced upper case,
// dashed lower case, 32 hex digits) and returns it in the payload form:
// lower case, dashed, no braces.
func ParseGUID(s string) (string, error) {
	t := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(t) != 36 && len(t) != 32 {
		return "", fmt.Errorf("not a GUID")
	}
	u, err := uuid.Parse(t)
	if err != nil {
		return "", fmt.Errorf("not a GUID")
	}
	return u.String(), nil
}
