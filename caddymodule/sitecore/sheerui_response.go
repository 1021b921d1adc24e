package sitecore

// The responses of Sheer UI postbacks: the list of client commands that
// the browser runs, read for the dialogs, pipelines and alerts in it.

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrNotCommandResponse is returned for a response body that the Sheer UI
// client does not run as commands: it runs a body only when its text begins
// exactly with {"commands":. Error pages and the module's own 409 replies
// are such bodies.
var ErrNotCommandResponse = errors.New(`not a Sheer UI command response: the body does not begin with {"commands":`)

// dialogCommands are the client commands that ask the user and post the
// dialog result back as a continuation.
var dialogCommands = map[string]bool{
	"ShowModalDialog": true,
	"Input":           true,
	"Confirm":         true,
	"CheckModified":   true,
}

// Command is one client command of a Sheer UI response, such as
// {"command":"SetPipeline","value":"c9b7c6d6931841af9fb2cc23ce9ebb43"}.
type Command struct {
	// Name is the command member: "SetPipeline", "ShowModalDialog",
	// "Alert", "Eval" and so on.
	Name string

	// Value is the value member: the pipeline ID of SetPipeline, the
	// dialog URL of ShowModalDialog, the text of Alert. A value that is
	// not a string is kept in its JSON form, and a missing or null value
	// is "".
	Value string

	// Members holds the other members by name, such as url, response or
	// features, converted like Value.
	Members map[string]string
}

// Response is the command list of a Sheer UI response.
type Response struct {
	Commands []Command

	// Scanned is true when the body was not valid JSON, so its commands
	// were read by a lenient scan (see ParseResponse).
	Scanned bool
}

// ParseResponse reads the client commands of a Sheer UI response body,
// which must already be decompressed. It returns ErrNotCommandResponse for
// a body that the client does not run as commands.
//
// The client evaluates the body as JavaScript rather than JSON. So when the
// body is not valid JSON, ParseResponse scans it as a JavaScript object
// literal instead. The scan accepts single-quoted strings, unquoted member
// names and JavaScript escapes such as \', and reads the members whose
// values are strings, names or numbers. A truncated body yields the
// commands whose objects are complete. ParseResponse returns an error when
// the scan finds no command.
func ParseResponse(body []byte) (*Response, error) {
	if !strings.HasPrefix(string(body), `{"commands":`) {
		return nil, ErrNotCommandResponse
	}

	var list struct {
		Commands []map[string]json.RawMessage `json:"commands"`
	}
	jsonErr := json.Unmarshal(body, &list)
	if jsonErr == nil {
		response := &Response{}
		for _, object := range list.Commands {
			members := map[string]string{}
			for name, raw := range object {
				members[name] = jsonText(raw)
			}
			if command, ok := commandOf(members); ok {
				response.Commands = append(response.Commands, command)
			}
		}
		return response, nil
	}

	commands := scanCommands(string(body))
	if len(commands) == 0 {
		return nil, fmt.Errorf("reading Sheer UI response: no command found, and the body is not JSON: %v", jsonErr)
	}
	return &Response{Commands: commands, Scanned: true}, nil
}

// jsonText returns a JSON string's text, "" for null, and the JSON form of
// any other value.
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// commandOf builds a command from an object's members. An object without
// a command member is not a command.
func commandOf(members map[string]string) (Command, bool) {
	name, ok := members["command"]
	if !ok || name == "" {
		return Command{}, false
	}
	command := Command{Name: name, Value: members["value"], Members: map[string]string{}}
	for key, value := range members {
		if key != "command" && key != "value" {
			command.Members[key] = value
		}
	}
	return command, true
}

// Pipeline returns the value of the last SetPipeline command: the ID that
// the continuation of a dialog posts as __PIPELINE.
func (r *Response) Pipeline() (string, bool) {
	id, found := "", false
	for _, command := range r.Commands {
		if command.Name == "SetPipeline" {
			id, found = command.Value, true
		}
	}
	return id, found
}

// Dialogs returns the commands that ask the user and post the dialog
// result in a continuation: ShowModalDialog, Input, Confirm and
// CheckModified.
func (r *Response) Dialogs() []Command {
	var dialogs []Command
	for _, command := range r.Commands {
		if dialogCommands[command.Name] {
			dialogs = append(dialogs, command)
		}
	}
	return dialogs
}

// Alerts returns the texts of the Alert commands, the way Sitecore reports
// a refused command in a 200 response.
func (r *Response) Alerts() []string {
	var texts []string
	for _, command := range r.Commands {
		if command.Name == "Alert" {
			texts = append(texts, command.Value)
		}
	}
	return texts
}

// scanCommands reads the array elements with a command member from a
// JavaScript object literal, as the client reads the elements of the
// commands array. It tracks, for each open object, whether a member name,
// a colon or a value comes next, and keeps the members whose values are
// strings, names or numbers. Commands are listed in the order their
// objects close.
func scanCommands(body string) []Command {
	const (
		wantName = iota
		wantColon
		wantValue
		wantComma
	)
	type object struct {
		members map[string]string
		name    string
		state   int
	}

	var commands []Command
	var stack []*object // nil for an array
	top := func() *object {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	token := func(text string) {
		o := top()
		switch {
		case o == nil:
		case o.state == wantName:
			o.name, o.state = text, wantColon
		case o.state == wantValue:
			o.members[o.name], o.state = text, wantComma
		}
	}

	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '"' || c == '\'':
			text, next := readJSString(body, i)
			token(text)
			i = next
		case c == '{' || c == '[':
			if o := top(); o != nil && o.state == wantValue {
				o.state = wantComma
			}
			if c == '{' {
				stack = append(stack, &object{members: map[string]string{}})
			} else {
				stack = append(stack, nil)
			}
			i++
		case c == '}' || c == ']':
			if o := top(); o != nil && len(stack) > 1 && stack[len(stack)-2] == nil {
				if command, ok := commandOf(o.members); ok {
					commands = append(commands, command)
				}
			}
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			i++
		case c == ':':
			if o := top(); o != nil && o.state == wantColon {
				o.state = wantValue
			}
			i++
		case c == ',':
			if o := top(); o != nil {
				o.state = wantName
			}
			i++
		case isWordByte(c):
			j := i
			for j < len(body) && isWordByte(body[j]) {
				j++
			}
			token(body[i:j])
			i = j
		default:
			i++
		}
	}
	return commands
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '$' || c == '.' || c == '-' || c == '+'
}

// readJSString reads the JavaScript string literal whose quote is at
// s[start] and returns its text and the index after its closing quote, or
// len(s) when it has none.
func readJSString(s string, start int) (string, int) {
	quote := s[start]
	var d textDecoder
	i := start + 1
	for i < len(s) {
		c := s[i]
		if c == quote {
			return d.String(), i + 1
		}
		if c != '\\' || i+1 >= len(s) {
			d.writeByte(c)
			i++
			continue
		}
		i += 2
		switch e := s[i-1]; e {
		case 'n':
			d.writeByte('\n')
		case 'r':
			d.writeByte('\r')
		case 't':
			d.writeByte('\t')
		case 'b':
			d.writeByte('\b')
		case 'f':
			d.writeByte('\f')
		case 'v':
			d.writeByte('\v')
		case '0':
			d.writeByte(0)
		case '\n':
			// A backslash before a line break continues the line.
		case 'x':
			if i+2 <= len(s) && isHex(s[i:i+2]) {
				d.writeRune(rune(unhex(s[i : i+2])))
				i += 2
			} else {
				d.writeByte('x')
			}
		case 'u':
			if i+4 <= len(s) && isHex(s[i:i+4]) {
				d.writeRune(rune(unhex(s[i : i+4])))
				i += 4
			} else {
				d.writeByte('u')
			}
		default:
			d.writeByte(e)
		}
	}
	return d.String(), len(s)
}
