package caddymodule

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/wordpress"
	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("cms_webhooks", parseCaddyfile)
	httpcaddyfile.RegisterDirectiveOrder("cms_webhooks", httpcaddyfile.Before, "reverse_proxy")
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(Handler)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens:
//
//	cms_webhooks {
//		cms          wordpress|sitecore
//		budget       <duration>
//		max_body     <size>
//		max_response <size>
//		enrich_authorization <name>
//
//		wordpress {
//			rest_prefix <path>
//			namespaces  <namespace...>
//			post_types  <route base...>
//		}
//
//		sitecore {
//			item_service_path   <path>
//			authoring_path      <path>
//			pages_path          <path>
//			legacy_graphql_path <path>
//			user_claim          <claim>
//			search_index        <index>
//			datasource_items
//			session_cookies     <name...>
//			dialog_timeout      <duration>
//			validate_on_first_request
//			workbox_bulk_comment
//			block_send_all
//			shell_path          <path>
//			speak_path          <path>
//			workflow_message    <name> [id=<key>] [language=<key>] [version=<key>] [command=<key>] [asks_to_save]
//		}
//
//		authorization <name> {
//			basic   <username> <password>
//			digest  <username> <password>
//			api_key <name> <value> [header|query]
//			bearer  <token>
//			oauth2_client_credentials|oauth2_password {
//				token_url     <url>
//				authority     <issuer or metadata url>
//				client_id     <id>
//				client_secret <secret>
//				scopes        <scope...>
//				header_prefix <prefix>
//				param         <name> <value>
//				username      <username>
//				password      <password>
//			}
//		}
//
//		workflow <name> {
//			state   <key> [<display name>] [final] [icon <path>] [id <guid>]
//			command <name> <from state> <to state> [id <guid>]
//			templates <template...>
//			other_transitions allow|block
//		}
//
//		event_handler <name> {
//			events <event...>
//			rule template|parent|item|path <value...>
//			<webhook settings>
//		}
//
//		validation_action <name> {
//			[workflow <name>]
//			command <command>
//			on_error block|allow
//			mode enforce|shadow
//			<webhook settings>
//		}
//
//		submit_action <name> {
//			[workflow <name>]
//			command <command> | state <state>
//			<webhook settings>
//		}
//
//		delivery {
//			queue           file [<path>] | memory
//			commit          background|wait
//			workers         <n>
//			per_destination <n>
//			queue_size      <n>
//			retry           off
//			max_attempts    <n>
//			backoff         <initial> [<max>]
//			max_age         <duration>
//			keep_delivered  <duration>
//		}
//	}
//
// The webhook settings are: url <url>, serialization json|xml,
// xml_root <element> (of action payloads in XML), enrich,
// authorization <name>, id <guid>, timeout <duration>, disabled, and
// signing_secret <whsec_...>, which may be repeated to rotate secrets.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume the directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	h.positions = positions{}
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "cms":
			err = parseOneOf(d, &h.CMS, "wordpress", "sitecore")
		case "sitecore":
			err = h.parseSitecore(d)
		case "budget":
			err = parseDuration(d, &h.Budget)
		case "max_body":
			err = parseSize(d, &h.MaxBody)
		case "max_response":
			err = parseSize(d, &h.MaxResponse)
		case "wordpress":
			err = h.parseWordPress(d)
		case "authorization":
			err = h.parseAuthorization(d)
		case "enrich_authorization":
			h.positions.set(nil, "enrich_authorization", d)
			err = parseString(d, &h.EnrichAuthorization)
		case "workflow":
			err = h.parseWorkflow(d)
		case "event_handler":
			err = h.parseWebhook(d, dispatch.KindEventHandler, &h.EventHandlers)
		case "validation_action":
			err = h.parseWebhook(d, dispatch.KindValidationAction, &h.ValidationActions)
		case "submit_action":
			err = h.parseWebhook(d, dispatch.KindSubmitAction, &h.SubmitActions)
		case "delivery":
			err = h.parseDelivery(d)
		default:
			return d.Errf("unrecognized cms_webhooks option '%s'", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return h.checkReferences()
}

// checkReferences reports, with the file and line of the webhook, a
// reference to an authorization, workflow, command or state that the block
// does not define. They may be defined after the webhook that uses them, so
// this runs once the whole block is read.
func (h *Handler) checkReferences() error {
	if h.EnrichAuthorization != "" && h.Authorizations[h.EnrichAuthorization] == nil {
		return fmt.Errorf("enrich_authorization '%s': authorization is not defined, at %s", h.EnrichAuthorization, h.positions.of(nil, "enrich_authorization"))
	}
	for _, l := range [][]*dispatch.Webhook{h.EventHandlers, h.ValidationActions, h.SubmitActions} {
		for _, wh := range l {
			if err := h.checkWebhookReferences(wh); err != nil {
				var ref *referenceError
				option := ""
				if errors.As(err, &ref) {
					option = ref.option
				}
				return fmt.Errorf("%v, at %s", err, h.positions.of(wh, option))
			}
		}
	}
	return nil
}

func (h *Handler) checkWebhookReferences(wh *dispatch.Webhook) error {
	if wh.Authorization != "" && h.Authorizations[wh.Authorization] == nil {
		return &referenceError{fmt.Sprintf("%s '%s': authorization '%s' is not defined", wh.Kind, wh.Name, wh.Authorization), "authorization"}
	}
	if wh.Kind == dispatch.KindEventHandler {
		return nil
	}
	probe := *wh
	return h.resolveWorkflow(&probe)
}

// positions records, as file:line, where the Caddyfile sets each webhook
// option and enrich_authorization, by webhook (nil for the cms_webhooks
// block) and option ("" for the webhook's first line), so that a reference
// checked after the block names the line that makes it.
type positions map[*dispatch.Webhook]map[string]string

func (p positions) set(wh *dispatch.Webhook, option string, d *caddyfile.Dispenser) {
	if p[wh] == nil {
		p[wh] = map[string]string{}
	}
	p[wh][option] = fmt.Sprintf("%s:%d", d.File(), d.Line())
}

// of returns where an option was set, or else where its webhook begins.
func (p positions) of(wh *dispatch.Webhook, option string) string {
	if at, ok := p[wh][option]; ok {
		return at
	}
	return p[wh][""]
}

func (h *Handler) parseWordPress(d *caddyfile.Dispenser) error {
	if h.WordPress != nil {
		return d.Err("wordpress block given twice")
	}
	h.WordPress = &wordpress.Config{}
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "rest_prefix":
			if err := parseString(d, &h.WordPress.RESTPrefix); err != nil {
				return err
			}
			if !strings.HasPrefix(h.WordPress.RESTPrefix, "/") {
				return d.Errf("invalid rest_prefix '%s': must start with /", h.WordPress.RESTPrefix)
			}
		case "namespaces":
			h.WordPress.Namespaces = append(h.WordPress.Namespaces, d.RemainingArgs()...)
		case "post_types":
			h.WordPress.PostTypes = append(h.WordPress.PostTypes, d.RemainingArgs()...)
		default:
			return d.Errf("unrecognized wordpress option '%s'", d.Val())
		}
	}
	return nil
}

func (h *Handler) parseSitecore(d *caddyfile.Dispenser) error {
	if h.Sitecore != nil {
		return d.Err("sitecore block given twice")
	}
	h.Sitecore = &sitecore.Config{}
	if d.NextArg() {
		return d.ArgErr()
	}
	flags := map[string]*bool{
		"datasource_items":          &h.Sitecore.DatasourceItems,
		"validate_on_first_request": &h.Sitecore.ValidateOnFirstRequest,
		"workbox_bulk_comment":      &h.Sitecore.WorkboxBulkComment,
		"block_send_all":            &h.Sitecore.BlockSendAll,
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if flag, ok := flags[d.Val()]; ok {
			if err := parseFlag(d, flag); err != nil {
				return err
			}
			continue
		}
		var dst *string
		switch d.Val() {
		case "item_service_path":
			dst = &h.Sitecore.ItemServicePath
		case "authoring_path":
			dst = &h.Sitecore.AuthoringPath
		case "pages_path":
			dst = &h.Sitecore.PagesPath
		case "legacy_graphql_path":
			dst = &h.Sitecore.LegacyGraphQLPath
		case "user_claim":
			dst = &h.Sitecore.UserClaim
		case "search_index":
			dst = &h.Sitecore.SearchIndex
		case "shell_path":
			dst = &h.Sitecore.ShellPath
		case "speak_path":
			dst = &h.Sitecore.SpeakPath
		case "workflow_message":
			if err := parseWorkflowMessage(d, h.Sitecore); err != nil {
				return err
			}
			continue
		case "session_cookies":
			h.Sitecore.SessionCookies = d.RemainingArgs()
			if len(h.Sitecore.SessionCookies) == 0 {
				return d.Err("session_cookies needs at least one cookie name, such as .AspNet.Cookies")
			}
			continue
		case "dialog_timeout":
			if err := parseDuration(d, &h.Sitecore.DialogTimeout); err != nil {
				return err
			}
			continue
		default:
			return d.Errf("unrecognized sitecore option '%s'", d.Val())
		}
		name := d.Val()
		if err := parseString(d, dst); err != nil {
			return err
		}
		if strings.HasSuffix(name, "_path") && !strings.HasPrefix(*dst, "/") {
			return d.Errf("invalid %s '%s': must start with /", name, *dst)
		}
	}
	return nil
}

// parseFlag reads an option that takes no value and sets it.
func parseFlag(d *caddyfile.Dispenser, dst *bool) error {
	name := d.Val()
	if d.NextArg() {
		return d.Errf("%s takes no value, got '%s'", name, d.Val())
	}
	*dst = true
	return nil
}

// parseWorkflowMessage reads: workflow_message <name> [id=<key>]
// [language=<key>] [version=<key>] [command=<key>] [asks_to_save]
func parseWorkflowMessage(d *caddyfile.Dispenser, cfg *sitecore.Config) error {
	args := d.RemainingArgs()
	if len(args) == 0 {
		return d.Err("workflow_message needs a message name, such as item:compositeworkflow")
	}
	m := sitecore.WorkflowMessage{}
	for _, arg := range args[1:] {
		if arg == "asks_to_save" {
			m.AsksToSave = true
			continue
		}
		key, value, ok := strings.Cut(arg, "=")
		if !ok || value == "" {
			return d.Errf("workflow_message '%s': invalid parameter '%s' (expected id=, language=, version=, command=<key> or asks_to_save)", args[0], arg)
		}
		switch key {
		case "id":
			m.ID = value
		case "language":
			m.Language = value
		case "version":
			m.Version = value
		case "command":
			m.Command = value
		default:
			return d.Errf("workflow_message '%s': unknown parameter '%s' (expected id, language, version or command)", args[0], key)
		}
	}
	if cfg.WorkflowMessages == nil {
		cfg.WorkflowMessages = map[string]sitecore.WorkflowMessage{}
	}
	cfg.WorkflowMessages[args[0]] = m
	return nil
}

func (h *Handler) parseAuthorization(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.Err("authorization needs a name")
	}
	name := d.Val()
	if _, dup := h.Authorizations[name]; dup {
		return d.Errf("authorization '%s' defined twice", name)
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	a := &dispatch.Authorization{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if a.Type != "" {
			return d.Errf("authorization '%s': give only one of basic, digest, api_key, bearer, oauth2_client_credentials and oauth2_password", name)
		}
		if err := parseAuthorizationType(d, name, a); err != nil {
			return err
		}
	}
	if a.Type == "" {
		return d.Errf("authorization '%s': give one of basic, digest, api_key, bearer, oauth2_client_credentials or oauth2_password", name)
	}
	if h.Authorizations == nil {
		h.Authorizations = map[string]*dispatch.Authorization{}
	}
	h.Authorizations[name] = a
	return nil
}

func parseAuthorizationType(d *caddyfile.Dispenser, name string, a *dispatch.Authorization) error {
	kind := d.Val()
	switch kind {
	case "basic", "digest":
		args := d.RemainingArgs()
		if len(args) != 2 {
			return d.Errf("authorization '%s': %s takes a username and a password", name, kind)
		}
		a.Type, a.Username, a.Password = kind, args[0], args[1]
	case "api_key":
		args := d.RemainingArgs()
		if len(args) != 2 && len(args) != 3 {
			return d.Errf("authorization '%s': api_key takes a name, a value and optionally header or query", name)
		}
		a.Type, a.Key, a.Value = kind, args[0], args[1]
		if len(args) == 3 {
			if args[2] != "header" && args[2] != "query" {
				return d.Errf("authorization '%s': invalid api_key placement '%s' (expected header or query)", name, args[2])
			}
			a.AddTo = args[2]
		}
	case "bearer":
		args := d.RemainingArgs()
		if len(args) != 1 {
			return d.Errf("authorization '%s': bearer takes one token", name)
		}
		a.Type, a.Token = kind, args[0]
	case "oauth2_client_credentials", "oauth2_password":
		a.Type = kind
		return parseOAuth2(d, name, a)
	default:
		return d.Errf("authorization '%s': unknown type '%s' (known: basic, digest, api_key, bearer, oauth2_client_credentials, oauth2_password)", name, kind)
	}
	// Placeholders are replaced only at provision, so a check of a value
	// here would see the placeholder; Check runs again then.
	if err := a.Check(name); err != nil && !strings.Contains(err.Error(), "missing") {
		return d.Err(err.Error())
	}
	return nil
}

// parseOAuth2 reads the block of an OAuth2 grant.
func parseOAuth2(d *caddyfile.Dispenser, name string, a *dispatch.Authorization) error {
	if d.NextArg() {
		return d.ArgErr()
	}
	o := &dispatch.OAuth2{}
	a.OAuth2 = o
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch d.Val() {
		case "token_url":
			err = parseString(d, &o.TokenURL)
		case "authority":
			err = parseString(d, &o.Authority)
		case "client_id":
			err = parseString(d, &o.ClientID)
		case "client_secret":
			err = parseString(d, &o.ClientSecret)
		case "scopes":
			o.Scopes = append(o.Scopes, d.RemainingArgs()...)
		case "header_prefix":
			err = parseString(d, &o.HeaderPrefix)
		case "param":
			args := d.RemainingArgs()
			if len(args) != 2 {
				return d.Errf("authorization '%s': param takes a name and a value", name)
			}
			if o.EndpointParams == nil {
				o.EndpointParams = map[string]string{}
			}
			o.EndpointParams[args[0]] = args[1]
		case "username":
			err = parseString(d, &a.Username)
		case "password":
			err = parseString(d, &a.Password)
		default:
			return d.Errf("authorization '%s': unrecognized %s option '%s'", name, a.Type, d.Val())
		}
		if err != nil {
			return err
		}
	}
	if o.ClientID == "" {
		return d.Errf("authorization '%s': %s needs client_id", name, a.Type)
	}
	if o.TokenURL == "" && o.Authority == "" {
		return d.Errf("authorization '%s': %s needs token_url or authority", name, a.Type)
	}
	for _, u := range []string{o.TokenURL, o.Authority} {
		if u != "" && !strings.Contains(u, "{") {
			if err := dispatch.CheckURL(u); err != nil {
				return d.Errf("authorization '%s': %v", name, err)
			}
		}
	}
	return nil
}

func (h *Handler) parseWorkflow(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.Err("workflow needs a name")
	}
	w := &dispatch.Workflow{Name: d.Val()}
	if h.workflow(w.Name) != nil {
		return d.Errf("workflow '%s' defined twice", w.Name)
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "state":
			s, err := parseState(d)
			if err != nil {
				return err
			}
			if w.State(s.Key) != nil {
				return d.Errf("workflow '%s': state '%s' defined twice", w.Name, s.Key)
			}
			w.States = append(w.States, s)
		case "command":
			c, err := parseCommand(d)
			if err != nil {
				return err
			}
			if w.Command(c.Name) != nil {
				return d.Errf("workflow '%s': command '%s' defined twice", w.Name, c.Name)
			}
			for _, key := range []string{c.From, c.To} {
				if w.State(key) == nil {
					return d.Errf("workflow '%s': command '%s': unknown state '%s' (declare states before the commands that use them)", w.Name, c.Name, key)
				}
			}
			w.Commands = append(w.Commands, c)
		case "templates":
			w.Templates = append(w.Templates, d.RemainingArgs()...)
		case "other_transitions":
			if err := parseOneOf(d, &w.OtherTransitions, "allow", "block"); err != nil {
				return err
			}
		default:
			return d.Errf("unrecognized workflow option '%s'", d.Val())
		}
	}
	if len(w.States) == 0 {
		return d.Errf("workflow '%s' has no states", w.Name)
	}
	h.Workflows = append(h.Workflows, w)
	return nil
}

// parseState reads: state <key> [<display name>] [final] [icon <path>] [id <guid>]
func parseState(d *caddyfile.Dispenser) (*dispatch.State, error) {
	args := d.RemainingArgs()
	if len(args) == 0 {
		return nil, d.Err("state needs a key")
	}
	s := &dispatch.State{Key: args[0]}
	rest := args[1:]
	if len(rest) > 0 && !slices.Contains([]string{"final", "icon", "id"}, rest[0]) {
		s.DisplayName, rest = rest[0], rest[1:]
	}
	for len(rest) > 0 {
		switch rest[0] {
		case "final":
			s.Final, rest = true, rest[1:]
		case "icon", "id":
			if len(rest) < 2 {
				return nil, d.Errf("state '%s': %s needs a value", s.Key, rest[0])
			}
			if rest[0] == "icon" {
				s.Icon = rest[1]
			} else {
				if _, err := dispatch.ParseGUID(rest[1]); err != nil {
					return nil, d.Errf("state '%s': invalid id '%s': not a GUID", s.Key, rest[1])
				}
				s.ID = rest[1]
			}
			rest = rest[2:]
		default:
			return nil, d.Errf("state '%s': unexpected '%s' (expected final, icon <path> or id <guid>)", s.Key, rest[0])
		}
	}
	return s, nil
}

// parseCommand reads: command <name> <from> <to> [id <guid>]
func parseCommand(d *caddyfile.Dispenser) (*dispatch.Command, error) {
	args := d.RemainingArgs()
	if len(args) != 3 && len(args) != 5 {
		return nil, d.Err("command takes a name, a from state and a to state, then optionally id <guid>")
	}
	c := &dispatch.Command{Name: args[0], From: args[1], To: args[2]}
	if len(args) == 5 {
		if args[3] != "id" {
			return nil, d.Errf("command '%s': unexpected '%s' (expected id <guid>)", c.Name, args[3])
		}
		if _, err := dispatch.ParseGUID(args[4]); err != nil {
			return nil, d.Errf("command '%s': invalid id '%s': not a GUID", c.Name, args[4])
		}
		c.ID = args[4]
	}
	return c, nil
}

func (h *Handler) parseWebhook(d *caddyfile.Dispenser, kind dispatch.Kind, list *[]*dispatch.Webhook) error {
	if !d.NextArg() {
		return d.Errf("%s needs a name", kind)
	}
	wh := &dispatch.Webhook{Name: d.Val(), Kind: kind}
	h.positions.set(wh, "", d)
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		h.positions.set(wh, opt, d)
		if err := parseWebhookOption(d, kind, wh, opt); err != nil {
			return err
		}
	}
	// These errors concern the whole block, so they name its first line.
	var missing string
	switch {
	case wh.URL == "":
		missing = "missing url"
	case kind == dispatch.KindEventHandler && len(wh.Events) == 0:
		missing = "missing events"
	case kind == dispatch.KindValidationAction && wh.Command == "":
		missing = "missing command"
	case kind == dispatch.KindSubmitAction && (wh.Command == "") == (wh.State == ""):
		missing = "give exactly one of command and state"
	}
	if missing != "" {
		return fmt.Errorf("%s '%s': %s, at %s", kind, wh.Name, missing, h.positions.of(wh, ""))
	}
	*list = append(*list, wh)
	return nil
}

// webhookOptions lists which options each kind of webhook takes.
var webhookOptions = map[dispatch.Kind][]string{
	dispatch.KindEventHandler:     {"events", "rule"},
	dispatch.KindValidationAction: {"workflow", "command", "on_error", "mode"},
	dispatch.KindSubmitAction:     {"workflow", "command", "state"},
}

func parseWebhookOption(d *caddyfile.Dispenser, kind dispatch.Kind, wh *dispatch.Webhook, opt string) error {
	common := []string{"url", "serialization", "xml_root", "authorization", "id", "timeout", "disabled", "signing_secret", "enrich"}
	if !slices.Contains(common, opt) && !slices.Contains(webhookOptions[kind], opt) {
		return d.Errf("%s '%s': unrecognized option '%s'", kind, wh.Name, opt)
	}
	switch opt {
	case "url":
		if err := parseString(d, &wh.URL); err != nil {
			return err
		}
		if !strings.Contains(wh.URL, "{") {
			if err := dispatch.CheckURL(wh.URL); err != nil {
				return d.Errf("%s '%s': %v", kind, wh.Name, err)
			}
		}
	case "serialization":
		return parseOneOf(d, &wh.Serialization, "json", "xml")
	case "xml_root":
		return parseString(d, &wh.XMLRoot)
	case "authorization":
		return parseString(d, &wh.Authorization)
	case "id":
		if err := parseString(d, &wh.ID); err != nil {
			return err
		}
		if _, err := dispatch.ParseGUID(wh.ID); err != nil {
			return d.Errf("%s '%s': invalid id '%s': not a GUID", kind, wh.Name, wh.ID)
		}
	case "timeout":
		var t caddy.Duration
		if err := parseDuration(d, &t); err != nil {
			return err
		}
		wh.Timeout = dispatch.Duration(t)
	case "disabled", "enrich":
		if d.NextArg() {
			return d.ArgErr()
		}
		if opt == "enrich" {
			wh.Enrich = true
		} else {
			wh.Disabled = true
		}
	case "signing_secret":
		var secret string
		if err := parseString(d, &secret); err != nil {
			return err
		}
		if !strings.Contains(secret, "{") && !strings.HasPrefix(secret, "whsec_") {
			// The value is a secret, so the message does not quote it.
			return d.Errf("%s '%s': invalid signing_secret: must start with whsec_", kind, wh.Name)
		}
		wh.SigningSecrets = append(wh.SigningSecrets, secret)
	case "events":
		events := d.RemainingArgs()
		if len(events) == 0 {
			return d.ArgErr()
		}
		for _, e := range events {
			if !slices.Contains(dispatch.KnownEvents, e) {
				return d.Errf("%s '%s': unknown event '%s' (known: %s)", kind, wh.Name, e, strings.Join(dispatch.KnownEvents, ", "))
			}
		}
		wh.Events = append(wh.Events, events...)
	case "rule":
		return parseRule(d, wh)
	case "workflow":
		return parseString(d, &wh.Workflow)
	case "command", "state":
		if wh.Command != "" || wh.State != "" {
			return d.Errf("%s '%s': give only one command or state", kind, wh.Name)
		}
		if opt == "command" {
			return parseString(d, &wh.Command)
		}
		return parseString(d, &wh.State)
	case "on_error":
		return parseOneOf(d, &wh.OnError, "block", "allow")
	case "mode":
		return parseOneOf(d, &wh.Mode, "enforce", "shadow")
	}
	return nil
}

func parseRule(d *caddyfile.Dispenser, wh *dispatch.Webhook) error {
	args := d.RemainingArgs()
	if len(args) < 2 {
		return d.Err("rule takes a kind (template, parent, item or path) and at least one value")
	}
	if wh.Rules == nil {
		wh.Rules = &dispatch.Rules{}
	}
	switch args[0] {
	case "template":
		wh.Rules.Templates = append(wh.Rules.Templates, args[1:]...)
	case "parent":
		wh.Rules.Parents = append(wh.Rules.Parents, args[1:]...)
	case "item":
		wh.Rules.Items = append(wh.Rules.Items, args[1:]...)
	case "path":
		wh.Rules.Paths = append(wh.Rules.Paths, args[1:]...)
	default:
		return d.Errf("unknown rule '%s' (known: template, parent, item, path)", args[0])
	}
	return nil
}

func (h *Handler) parseDelivery(d *caddyfile.Dispenser) error {
	if h.Delivery != nil {
		return d.Err("delivery block given twice")
	}
	h.Delivery = &DeliveryConfig{}
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch d.Val() {
		case "queue":
			args := d.RemainingArgs()
			switch {
			case len(args) == 1 && args[0] == "memory":
				h.Delivery.Queue = memoryQueue
			case len(args) >= 1 && len(args) <= 2 && args[0] == "file":
				h.Delivery.Queue = "file"
				if len(args) == 2 {
					h.Delivery.QueueFile = args[1]
				}
			default:
				return d.Errf("invalid queue '%s' (expected memory, or file and optionally a path)", strings.Join(args, " "))
			}
		case "commit":
			err = parseOneOf(d, &h.Delivery.Commit, "wait", "background")
		case "workers":
			err = parsePositiveInt(d, &h.Delivery.Workers)
		case "per_destination":
			err = parsePositiveInt(d, &h.Delivery.PerDestination)
		case "max_age":
			err = parseDuration(d, &h.Delivery.MaxAge)
		case "keep_delivered":
			err = parseDuration(d, &h.Delivery.KeepDelivered)
		case "queue_size":
			err = parsePositiveInt(d, &h.Delivery.QueueSize)
		case "max_attempts":
			err = parsePositiveInt(d, &h.Delivery.MaxAttempts)
		case "retry":
			var v string
			if err = parseOneOf(d, &v, "off", "on"); err == nil && v == "off" {
				h.Delivery.MaxAttempts = 1
			}
		case "backoff":
			args := d.RemainingArgs()
			if len(args) < 1 || len(args) > 2 {
				return d.Err("backoff takes an initial wait and optionally a maximum wait")
			}
			for i, arg := range args {
				v, perr := caddy.ParseDuration(arg)
				if perr != nil || v <= 0 {
					return d.Errf("invalid backoff duration '%s'", arg)
				}
				if i == 0 {
					h.Delivery.InitialBackoff = caddy.Duration(v)
				} else {
					h.Delivery.MaxBackoff = caddy.Duration(v)
				}
			}
		default:
			return d.Errf("unrecognized delivery option '%s'", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func parseString(d *caddyfile.Dispenser, dst *string) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	*dst = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

func parseOneOf(d *caddyfile.Dispenser, dst *string, allowed ...string) error {
	name := d.Val()
	if err := parseString(d, dst); err != nil {
		return err
	}
	if !slices.Contains(allowed, *dst) {
		return d.Errf("invalid %s '%s' (expected %s)", name, *dst, strings.Join(allowed, " or "))
	}
	return nil
}

func parseDuration(d *caddyfile.Dispenser, dst *caddy.Duration) error {
	name := d.Val()
	var s string
	if err := parseString(d, &s); err != nil {
		return err
	}
	v, err := caddy.ParseDuration(s)
	if err != nil || v <= 0 {
		return d.Errf("invalid %s duration '%s'", name, s)
	}
	*dst = caddy.Duration(v)
	return nil
}

func parseSize(d *caddyfile.Dispenser, dst *int64) error {
	name := d.Val()
	var s string
	if err := parseString(d, &s); err != nil {
		return err
	}
	v, err := humanize.ParseBytes(s)
	if err != nil || v == 0 {
		return d.Errf("invalid %s size '%s'", name, s)
	}
	*dst = int64(v)
	return nil
}

func parsePositiveInt(d *caddyfile.Dispenser, dst *int) error {
	name := d.Val()
	var s string
	if err := parseString(d, &s); err != nil {
		return err
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		return d.Errf("invalid %s '%s': must be a positive whole number", name, s)
	}
	*dst = v
	return nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Handler)(nil)
