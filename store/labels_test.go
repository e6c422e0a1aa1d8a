package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// says fails unless err is a refusal that says the catalog's sentence say.
func says(t *testing.T, what string, err error, say string) {
	t.Helper()
	var ve *chat.ValidationError
	if !errors.As(err, &ve) || ve.Say != say {
		t.Fatalf("%s: %v, want the refusal %s", what, err, say)
	}
}

func TestLabelsKeptByAdmins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, alex := newAdmin(t)

	billing, err := db.CreateLabel(ctx, alex.ID, chat.Label{Name: " Billing ", Color: "#2563EB"})
	if err != nil || billing.Name != "Billing" || billing.Color != "#2563eb" {
		t.Fatalf("CreateLabel = %+v, %v", billing, err)
	}
	_, err = db.CreateLabel(ctx, alex.ID, chat.Label{Name: "BILLING", Color: "#000000"})
	says(t, "a name another label has, in other case", err, "error.label.duplicate")
	_, err = db.CreateLabel(ctx, alex.ID, chat.Label{Name: "Red", Color: "red"})
	says(t, "a colour that is not #rrggbb", err, "error.label.color")
	_, err = db.CreateLabel(ctx, alex.ID, chat.Label{Name: "This label name is far longer than forty characters", Color: "#000000"})
	says(t, "a name too long", err, "error.label.name")
	bug, err := db.CreateLabel(ctx, alex.ID, chat.Label{Name: "bug", Color: "#ff0000"})
	if err != nil {
		t.Fatal(err)
	}

	// Renamed and recoloured; a rename onto another's name is refused.
	if _, err := db.UpdateLabel(ctx, alex.ID, chat.Label{ID: bug.ID, Name: "Billing", Color: "#ff0000"}); err == nil {
		t.Fatal("a label was renamed onto another's name")
	}
	if bug, err = db.UpdateLabel(ctx, alex.ID, chat.Label{ID: bug.ID, Name: "Bug", Color: "#00FF00"}); err != nil || bug.Color != "#00ff00" {
		t.Fatalf("UpdateLabel = %+v, %v", bug, err)
	}
	if _, err := db.UpdateLabel(ctx, alex.ID, chat.Label{ID: 999999, Name: "x", Color: "#000000"}); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("renaming a label that does not exist: %v", err)
	}
	ls, err := db.Labels(ctx)
	if err != nil || len(ls) != 2 || ls[0].Name != "Billing" || ls[1].Name != "Bug" {
		t.Fatalf("Labels = %+v, %v", ls, err)
	}
	if _, err := db.DeleteLabel(ctx, alex.ID, bug.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteLabel(ctx, alex.ID, bug.ID); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("deleting a label twice: %v", err)
	}

	// Every change is in the audit log, with who made it.
	entries, _, err := db.AuditLog(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if e.Subject == fmt.Sprint("label ", bug.ID) || e.Subject == fmt.Sprint("label ", billing.ID) {
			if e.ActorID == nil || *e.ActorID != alex.ID {
				t.Fatalf("audit entry without its actor: %+v", e)
			}
			actions = append(actions, e.Action)
		}
	}
	if fmt.Sprint(actions) != "[label.delete label.update label.create label.create]" {
		t.Fatalf("audit log of the labels: %v", actions)
	}

	// At most store.MaxLabels.
	for i := len(ls) - 1; i < store.MaxLabels; i++ {
		if _, err := db.CreateLabel(ctx, alex.ID, chat.Label{Name: fmt.Sprint("label ", i), Color: "#123456"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = db.CreateLabel(ctx, alex.ID, chat.Label{Name: "one too many", Color: "#123456"})
	says(t, "a label past the limit", err, "error.label.tooMany")
}

func TestLabelsOnAChat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	vip, err := db.CreateLabel(ctx, f.agent.ID, chat.Label{Name: "VIP", Color: "#aa00aa"})
	if err != nil {
		t.Fatal(err)
	}
	listener := listen(t, db)

	// Put on once; again changes nothing, and announces nothing.
	if added, err := db.AddLabel(ctx, f.conv.ID, vip.ID, f.agent.ID); err != nil || !added {
		t.Fatalf("AddLabel = %v, %v", added, err)
	}
	if ev := heard(t, listener, 1)[0]; ev.Type != chat.EventLabels || ev.ConversationID != f.conv.ID {
		t.Fatalf("event = %+v", ev)
	}
	if added, err := db.AddLabel(ctx, f.conv.ID, vip.ID, f.agent.ID); err != nil || added {
		t.Fatalf("AddLabel again = %v, %v", added, err)
	}
	on, err := db.ChatLabels(ctx, f.conv.ID)
	if err != nil || len(on) != 1 || on[0].ID != vip.ID {
		t.Fatalf("ChatLabels = %+v, %v", on, err)
	}
	_, err = db.AddLabel(ctx, f.conv.ID, 999999, f.agent.ID)
	says(t, "a label that does not exist", err, "error.label.unknown")

	// Off once; again changes nothing.
	if removed, err := db.RemoveLabel(ctx, f.conv.ID, vip.ID); err != nil || !removed {
		t.Fatalf("RemoveLabel = %v, %v", removed, err)
	}
	if removed, err := db.RemoveLabel(ctx, f.conv.ID, vip.ID); err != nil || removed {
		t.Fatalf("RemoveLabel again = %v, %v", removed, err)
	}

	// Support chats only.
	kim, err := db.CreateMember(ctx, store.NewMember{Email: "kim@example.com", Name: "Kim", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := db.StartDirect(ctx, f.agent.ID, kim.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddLabel(ctx, direct.ID, vip.ID, f.agent.ID); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("a label on a direct conversation: %v", err)
	}

	// At most store.MaxChatLabels on one chat.
	for i := range store.MaxChatLabels {
		l, err := db.CreateLabel(ctx, f.agent.ID, chat.Label{Name: fmt.Sprint("topic ", i), Color: "#123456"})
		if err == nil {
			_, err = db.AddLabel(ctx, f.conv.ID, l.ID, f.agent.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = db.AddLabel(ctx, f.conv.ID, vip.ID, f.agent.ID)
	says(t, "a label past a chat's limit", err, "error.label.chatFull")

	// A deleted label leaves every chat.
	ls, _ := db.ChatLabels(ctx, f.conv.ID)
	if _, err := db.DeleteLabel(ctx, f.agent.ID, ls[0].ID); err != nil {
		t.Fatal(err)
	}
	if after, err := db.ChatLabels(ctx, f.conv.ID); err != nil || len(after) != store.MaxChatLabels-1 {
		t.Fatalf("after a label was deleted: %d labels, %v", len(after), err)
	}
}
