package caddymodule

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// block is the reason a request is not forwarded.
type block struct {
	message string

	// webhook is the validation action that rejected the command, if any.
	webhook string
}

// checkCommands matches the status changes of a request against the
// workflows and runs the validation actions of their commands. It returns
// nil when the request may be forwarded.
func (h *Handler) checkCommands(ctx context.Context, ops []*dispatch.Operation) *block {
	var calls []dispatch.ValidationCall
	for _, op := range ops {
		if op.Refuse != "" {
			return &block{message: op.Refuse}
		}
		if op.StatusChange == nil || op.Validated {
			continue
		}
		w := h.workflowOf(op)
		if w == nil {
			continue
		}
		if op.LookupFailed {
			if h.validatesInto(w, op.StatusChange.ToState) {
				return &block{message: fmt.Sprintf("could not read the current state of item %s, so the validation actions of workflow %q cannot run", op.Item.ID, w.Name)}
			}
			continue
		}
		t := w.Match(op.StatusChange)
		if t == nil {
			continue
		}
		if t.Blocked {
			return &block{message: fmt.Sprintf("workflow %q has no command from state %q to state %q", w.Name, op.StatusChange.FromState, op.StatusChange.ToState)}
		}
		if t.Command == nil {
			continue
		}
		if op.StatusChange.ItemsUnknown && h.validatesCommand(w, t.Command.Name) {
			return &block{message: fmt.Sprintf("command %q also runs on items that the request does not list, and those could not be read from the CMS (see enrich_authorization), so its validation actions cannot run", t.Command.Name)}
		}
		for _, wh := range h.ValidationActions {
			if wh.Disabled || wh.Workflow != w.Name || wh.Command != t.Command.Name {
				continue
			}
			body, err := dispatch.EncodeAction(wh, dispatch.ActionRequest{Op: op, Transition: t})
			if err != nil {
				return &block{message: fmt.Sprintf("validation action %q: encoding payload: %v", wh.Name, err), webhook: wh.Name}
			}
			calls = append(calls, dispatch.ValidationCall{Webhook: wh, Body: body, Event: t.Command.Name, ItemID: op.Item.ID})
		}
	}

	verdict := h.dispatcher.Validate(ctx, calls)
	if verdict == nil {
		return nil
	}
	h.logger.Info("workflow command blocked",
		zap.String("webhook", verdict.Call.Webhook.Name),
		zap.String("event", verdict.Call.Event),
		zap.String("item_id", verdict.Call.ItemID),
		zap.String("message", verdict.Message))
	msg := verdict.Message
	if msg == "" {
		msg = fmt.Sprintf("validation action %q rejected the command", verdict.Call.Webhook.Name)
	}
	return &block{message: msg, webhook: verdict.Call.Webhook.Name}
}

// validatesCommand reports whether any validation action guards the
// command of the workflow.
func (h *Handler) validatesCommand(w *dispatch.Workflow, command string) bool {
	for _, wh := range h.ValidationActions {
		if !wh.Disabled && wh.Workflow == w.Name && wh.Command == command {
			return true
		}
	}
	return false
}

// validatesInto reports whether any validation action guards a command of
// the workflow that leads into the state.
func (h *Handler) validatesInto(w *dispatch.Workflow, state string) bool {
	for _, wh := range h.ValidationActions {
		if wh.Disabled || wh.Workflow != w.Name {
			continue
		}
		if c := w.Command(wh.Command); c != nil && c.To == state {
			return true
		}
	}
	return false
}

// logUnchecked logs an error for each workflow command that the CMS may
// have run without its validation actions, because the classifier expected
// the request to open a dialog and the response opened none. A command
// without validation actions lost nothing, so it is not logged.
func (h *Handler) logUnchecked(ops []*dispatch.Operation) {
	for _, op := range ops {
		if !op.Unchecked || op.StatusChange == nil {
			continue
		}
		w := h.workflowOf(op)
		if w == nil {
			continue
		}
		if t := w.Match(op.StatusChange); t != nil && t.Command != nil && h.validatesCommand(w, t.Command.Name) {
			h.logger.Error("workflow command may have run without its validation actions: the request was expected to open a dialog first, and the response opened none",
				zap.String("workflow", w.Name), zap.String("command", t.Command.Name), zap.String("item_id", op.Item.ID))
		}
	}
}
