package caddymodule

import (
	"fmt"

	"github.com/caddyserver/caddy/v2"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// prepareWebhooks resolves the authorizations' placeholders and checks that
// workflows and webhooks fit together.
func (h *Handler) prepareWebhooks() error {
	repl := caddy.NewReplacer()
	h.auths = map[string]*dispatch.Authorization{}
	for name, a := range h.Authorizations {
		if a == nil {
			return fmt.Errorf("authorization %q: empty", name)
		}
		resolved := *a
		fields := []*string{&resolved.Username, &resolved.Password, &resolved.Key, &resolved.Value, &resolved.Token}
		if a.OAuth2 != nil {
			o := *a.OAuth2
			resolved.OAuth2 = &o
			fields = append(fields, &o.TokenURL, &o.Authority, &o.ClientID, &o.ClientSecret)
		}
		for _, field := range fields {
			if err := replaceSecret(repl, field); err != nil {
				return fmt.Errorf("authorization %q: %v", name, err)
			}
		}
		if err := resolved.Check(name); err != nil {
			return err
		}
		h.auths[name] = &resolved
	}

	if h.EnrichAuthorization != "" {
		a := h.auths[h.EnrichAuthorization]
		if a == nil {
			return fmt.Errorf("enrich_authorization %q: authorization is not defined", h.EnrichAuthorization)
		}
		if a.Type == "digest" {
			return fmt.Errorf("enrich_authorization %q: digest cannot authorize the reads of the CMS; use basic, bearer, api_key or oauth2", h.EnrichAuthorization)
		}
	}

	workflows := map[string]*dispatch.Workflow{}
	for _, w := range h.Workflows {
		if err := w.Validate(); err != nil {
			return err
		}
		if workflows[w.Name] != nil {
			return fmt.Errorf("workflow %q defined twice", w.Name)
		}
		workflows[w.Name] = w
	}

	names := map[string]bool{}
	lists := []struct {
		kind dispatch.Kind
		list []*dispatch.Webhook
	}{
		{dispatch.KindEventHandler, h.EventHandlers},
		{dispatch.KindValidationAction, h.ValidationActions},
		{dispatch.KindSubmitAction, h.SubmitActions},
	}
	for _, l := range lists {
		for _, wh := range l.list {
			for i := range wh.SigningSecrets {
				if err := replaceSecret(repl, &wh.SigningSecrets[i]); err != nil {
					return fmt.Errorf("%s %q: signing secret %d: %v", l.kind, wh.Name, i+1, err)
				}
			}
			if err := wh.Prepare(l.kind, h.auths); err != nil {
				return err
			}
			if names[wh.Name] {
				return fmt.Errorf("%s %q: another webhook has the same name; names must be unique", wh.Kind, wh.Name)
			}
			names[wh.Name] = true
			if l.kind != dispatch.KindEventHandler {
				if err := h.resolveWorkflow(wh); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// replaceSecret replaces the {env.*} and {file.*} placeholders in a value.
// The error names the placeholder, never a value.
func replaceSecret(repl *caddy.Replacer, field *string) error {
	v, err := repl.ReplaceOrErr(*field, true, true)
	if err != nil {
		return err
	}
	*field = v
	return nil
}

// resolveWorkflow checks an action's workflow, command and state, and fills
// the workflow name when only one workflow exists.
func (h *Handler) resolveWorkflow(wh *dispatch.Webhook) error {
	if wh.Workflow == "" {
		if len(h.Workflows) != 1 {
			return &referenceError{fmt.Sprintf("%s %q: name its workflow, because %d workflows are defined", wh.Kind, wh.Name, len(h.Workflows)), ""}
		}
		wh.Workflow = h.Workflows[0].Name
	}
	w := h.workflow(wh.Workflow)
	if w == nil {
		return &referenceError{fmt.Sprintf("%s %q: workflow %q is not defined", wh.Kind, wh.Name, wh.Workflow), "workflow"}
	}
	if wh.Command != "" && w.Command(wh.Command) == nil {
		return &referenceError{fmt.Sprintf("%s %q: workflow %q has no command %q", wh.Kind, wh.Name, w.Name, wh.Command), "command"}
	}
	if wh.State != "" && w.State(wh.State) == nil {
		return &referenceError{fmt.Sprintf("%s %q: workflow %q has no state %q", wh.Kind, wh.Name, w.Name, wh.State), "state"}
	}
	return nil
}

// referenceError is a webhook's reference to something the configuration
// does not define, with the webhook option that makes it ("" for the
// webhook as a whole), so that a Caddyfile error can name that line.
type referenceError struct {
	message string
	option  string
}

func (e *referenceError) Error() string { return e.message }

func (h *Handler) workflow(name string) *dispatch.Workflow {
	for _, w := range h.Workflows {
		if w.Name == name {
			return w
		}
	}
	return nil
}

// workflowOf returns the workflow that a status change belongs to: the one
// that has its command id, or the one for the item's template.
func (h *Handler) workflowOf(op *dispatch.Operation) *dispatch.Workflow {
	if id := op.StatusChange.CommandID; id != "" {
		for _, w := range h.Workflows {
			if w.CommandByID(id) != nil {
				return w
			}
		}
		return nil
	}
	return h.workflowFor(op.Item.TemplateName)
}

// workflowFor returns the workflow that items of the template are in. An
// unknown template, as in a request that creates an item, takes the first
// workflow that applies to every template, or the only workflow.
func (h *Handler) workflowFor(template string) *dispatch.Workflow {
	for _, w := range h.Workflows {
		if template != "" && w.AppliesTo(template) {
			return w
		}
	}
	if template == "" {
		for _, w := range h.Workflows {
			if len(w.Templates) == 0 {
				return w
			}
		}
		if len(h.Workflows) == 1 {
			return h.Workflows[0]
		}
	}
	return nil
}
