package dispatch

// Item event names, spelled byte for byte as Sitecore spells them, mixed
// casing included. Sitecore has no item:created or item:published event.
const (
	EventItemAdded            = "item:added"
	EventItemSaved            = "item:saved"
	EventItemDeleted          = "item:deleted"
	EventItemMoved            = "item:moved"
	EventItemRenamed          = "item:renamed"
	EventItemCopied           = "item:copied"
	EventItemVersionAdded     = "item:versionAdded"
	EventItemVersionRemoved   = "item:versionRemoved"
	EventItemSortOrderChanged = "item:sortorderchanged"
	EventItemTemplateChanged  = "item:templateChanged"
	EventItemLocked           = "item:locked"
	EventItemUnlocked         = "item:unlocked"
	EventItemCloneAdded       = "item:cloneAdded"
	EventItemDeleting         = "item:deleting"
)

// KnownEvents lists the item event names that an event handler may subscribe to.
var KnownEvents = []string{
	EventItemAdded, EventItemSaved, EventItemDeleted, EventItemMoved,
	EventItemRenamed, EventItemCopied, EventItemVersionAdded,
	EventItemVersionRemoved, EventItemSortOrderChanged, EventItemTemplateChanged,
	EventItemLocked, EventItemUnlocked, EventItemCloneAdded, EventItemDeleting,
}

// Operation is one change that a CMS request requests, as a classifier reads it:
// one or more item events, a workflow status change, or both. A request can
// carry several operations (a batch, or several GraphQL mutations).
//
// The caddymodule handler fills an Operation in three steps: the classifier
// creates it from the buffered request, the Lookups read the item's current
// state from the CMS before the request is forwarded, and Complete reads the
// CMS response and decides whether the operation succeeded.
type Operation struct {
	// Item is the item the operation acts on, as far as the traffic shows.
	Item Item

	// Events are the item events to fire when the operation succeeds.
	Events []Event

	// StatusChange is set when the request moves the item to another
	// workflow state. FromState is filled by a lookup before forwarding.
	StatusChange *StatusChange

	// Refuse, when set, is why the request must not be forwarded at all,
	// such as a workflow command that could not be read.
	Refuse string

	// UserName is the CMS user who sent the request, when the traffic shows it.
	UserName string

	// Comments is the editor's comment on a workflow command, if any.
	Comments string

	// Unchecked is set by Complete when the response shows that the CMS
	// may have run a workflow command that was forwarded without
	// validation, because the request was expected to open a dialog
	// first. The handler logs an error.
	Unchecked bool

	// Validated is set when the validation actions of the status change
	// already ran, on an earlier request of the same editor's flow, so
	// they are not called again.
	Validated bool

	// Lookups are reads of the CMS that must run before forwarding. A
	// lookup's Apply may append more, such as the next page of a search;
	// they run in turn.
	Lookups []Lookup

	// Fanout, when a lookup fills it, replaces the operation with these
	// after the lookups: a command that the request runs on items it
	// does not list becomes one operation per item the CMS named.
	Fanout []*Operation

	// Confirm are reads of the CMS after its response, for a response
	// that does not tell which operations succeeded, such as a bulk
	// command that Sitecore ran on some items and refused on others.
	// Their Apply sets Succeeded.
	Confirm []Lookup

	// LookupFailed is set when a lookup did not return the item, so the
	// operation's previous state is unknown.
	LookupFailed bool

	// Succeeded is set by Complete when the CMS reported success for this
	// operation.
	Succeeded bool

	// Detail is the classifier's own state between its steps. Nothing
	// outside the classifier reads it.
	Detail any

	// Basic is the operation as the traffic alone shows it, kept when an
	// enrichment read the CMS to fill Item and the events, so that the
	// webhooks without enrichment get only what the traffic carried. It has
	// the same events in the same order. Nil when nothing was enriched.
	Basic *Operation
}

// Event is one item event of an operation, with the properties that only
// some events carry.
type Event struct {
	Name        string
	OldParentID string
	OldName     string
	OldValue    string
	Changes     *Changes
	Source      *Item
}

// StatusChange is a request to move an item between workflow states. The
// states are the CMS's own state keys (WordPress post statuses, Sitecore
// state ids).
type StatusChange struct {
	FromState string
	ToState   string

	// FromAlias and ToAlias name the state that FromState and ToState
	// count as in a workflow that does not declare them. WordPress's
	// "future" (scheduled) counts as "publish": WordPress publishes a
	// scheduled post by itself when its date comes, so scheduling is
	// publishing, and a validation action on publish must see it.
	FromAlias string
	ToAlias   string

	// Created is set when the item is created in ToState, so FromState is
	// the workflow's initial state.
	Created bool

	// ItemsUnknown is set when the request runs the command on items it
	// does not list, such as the Workbox's "send all", so that no
	// validation action can be called for each of them.
	ItemsUnknown bool

	// CommandID names the workflow command by its id, when the request
	// runs a command rather than setting a state (Sitecore's
	// executeWorkflowCommand). The command's own states then decide the
	// transition, and FromState and ToState may be empty.
	CommandID string
}

// Lookup is a read of the CMS that an operation needs before the request is
// forwarded: the item's current status, parent or name. The handler sends a
// GET for Path (path and query) with the client's own credentials and passes
// the response to Apply.
type Lookup struct {
	Path  string
	Apply func(op *Operation, status int, body []byte)

	// Method and Body make the lookup a POST, such as a GraphQL query.
	// Default: GET without a body.
	Method string
	Body   []byte

	// Auth, when set, replaces the caller's credentials on the lookup.
	Auth *Authorization

	// AsCaller keeps the caller's own credentials on the lookup even when
	// a service account reads the CMS otherwise, for a read about the
	// caller, such as who they are.
	AsCaller bool
}

// AddEvent appends an item event by name.
func (op *Operation) AddEvent(e Event) {
	op.Events = append(op.Events, e)
}

// HasEvent reports whether the operation fires the named event.
func (op *Operation) HasEvent(name string) bool {
	for _, e := range op.Events {
		if e.Name == name {
			return true
		}
	}
	return false
}

// Clone returns a copy of the operation whose item and events can change
// without changing the original's.
func (op *Operation) Clone() *Operation {
	c := *op
	c.Item = op.Item.clone()
	c.Events = append([]Event(nil), op.Events...)
	for i := range c.Events {
		if src := c.Events[i].Source; src != nil {
			copied := src.clone()
			c.Events[i].Source = &copied
		}
	}
	if op.StatusChange != nil {
		sc := *op.StatusChange
		c.StatusChange = &sc
	}
	c.Basic = nil
	return &c
}
