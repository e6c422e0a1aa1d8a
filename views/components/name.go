package components

import (
	"context"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

// Name is a person's name as ctx's reader sees it (chat.NameIn).
func Name(ctx context.Context, name string) string { return chat.NameIn(i18n.From(ctx), name) }
