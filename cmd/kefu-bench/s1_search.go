package main

// S1: the console's search (store.DB.Search, as GET /console/search runs
// it) on a database holding many messages, in English, Chinese and both,
// across many visitors' chats and some groups: its latency for the kinds of
// query people type, as an agent (every support chat) and as a member (the
// groups they are in).

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// S1's world: its messages (-messages) go round its conversations, ~20 each.
const (
	s1Visitors    = 50000
	s1Groups      = 1000
	s1MemberOf    = 20  // groups the searching member is in
	s1Searches    = 100 // per kind of query
	s1TargetP95MS = 100
)

// s1English and s1Chinese are the words the messages are made of, most
// common first: a message draws each word with a bias to the front.
const (
	s1English = `hello hi thanks please help order refund payment invoice account password login error problem shipping delivery
package tracking number price discount coupon subscription cancel renew upgrade plan premium free trial email address phone update
change reset support agent question answer issue bug crash app website mobile android iphone download install version release
feature request feedback great good bad slow fast today tomorrow yesterday week month money card credit bank transfer wallet balance
charge fee tax receipt product item size color stock available store return exchange warranty repair broken missing wrong late
received sent waiting still again soon sorry understand check look see know need want would could should will can the a an is are
was were it this that my your our their we you they and or but not no yes ok okay when where why how what which who time day hour
minute status confirm verify code link click page button screen settings profile notification message chat call contact team
manager weekend holiday morning evening night charger headphones bluetooth battery display manual`
	s1Chinese = `你好 谢谢 请问 帮忙 订单 退款 付款 发票 账号 密码 登录 错误 问题 发货 快递 包裹 物流 单号 价格 优惠 优惠券 订阅 取消 续费 升级
套餐 会员 免费 试用 邮箱 地址 电话 修改 重置 客服 人工 回答 故障 闪退 应用 网站 手机 安卓 苹果 下载 安装 版本 功能 建议 反馈 很好 不错
太慢 很快 今天 明天 昨天 星期 一个月 银行卡 信用卡 转账 钱包 余额 扣费 手续费 收据 商品 尺码 颜色 库存 有货 门店 退货 换货 保修 维修
坏了 缺少 错了 迟到 收到 已发送 等待 还是 马上 抱歉 明白 查看 知道 需要 想要 可以 应该 会 能 我 你 我们 他们 的 了 是 不是 没有 有 什么
怎么 为什么 哪里 什么时候 时间 小时 分钟 状态 确认 验证码 链接 点击 页面 按钮 屏幕 设置 个人资料 通知 消息 聊天 联系 团队 经理 周末
节假日 上午 晚上 中文版 说明书 充电器 耳机 蓝牙 无法连接 显示屏 电池 发票抬头 开具`
	s1Surnames = `王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗`
	s1Given    = `伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 黛玉 宝钗`
	s1First    = `James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard Susan Joseph Jessica Ada Grace Alan Edsger`
	s1Last     = `Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hopper Lovelace Turing Dijkstra Knuth Liskov`
)

// s1Params holds what s1Fill makes: $1 messages, $2 visitors, $3 groups,
// $4 the member, $5 of how many groups, $6…$11 the word lists.
const s1Params = `CREATE TEMP TABLE s1 AS SELECT $1::int AS messages, $2::int AS visitors, $3::int AS groups,
	$4::bigint AS member, $5::int AS member_of,
	string_to_array($6, ' ') AS en, string_to_array($7, ' ') AS zh, string_to_array($8, ' ') AS sur,
	string_to_array($9, ' ') AS giv, string_to_array($10, ' ') AS fir, string_to_array($11, ' ') AS las`

// s1FillSQL makes S1's world (s1Params) in one go: visitors with names and
// addresses, a resolved chat each, groups (the member in some of them), and
// the messages, each statement after a blank line.
const s1FillSQL = `
WITH w AS (SELECT * FROM s1),
v AS (
	INSERT INTO users (kind, name, email, visitor_token_hash)
	SELECT 'visitor', CASE WHEN i % 2 = 0 THEN w.sur[1 + i % array_length(w.sur, 1)] || w.giv[1 + (i / 7) % array_length(w.giv, 1)]
		ELSE w.fir[1 + i % array_length(w.fir, 1)] || ' ' || w.las[1 + (i / 7) % array_length(w.las, 1)] END,
		'visitor' || i || '@example.com', sha256(('s1 ' || i)::bytea)
	FROM w, generate_series(1, w.visitors) i RETURNING id)
INSERT INTO conversations (kind, visitor_id, status, resolved_at)
SELECT 'support', id, 'resolved', now() FROM v;

INSERT INTO conversations (kind, status, title, owner_id)
SELECT 'group', 'assigned', 'Team ' || i || ' 项目组', s1.member FROM s1, generate_series(1, s1.groups) i;

INSERT INTO conversation_members (conversation_id, user_id)
SELECT id, (SELECT member FROM s1) FROM conversations WHERE kind = 'group' ORDER BY id LIMIT (SELECT member_of FROM s1);

CREATE TEMP TABLE s1_convs AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM conversations;
CREATE UNIQUE INDEX ON s1_convs (n);
ANALYZE s1_convs;

WITH w AS (SELECT * FROM s1),
c AS (SELECT count(*) AS n FROM s1_convs)
INSERT INTO messages (conversation_id, seq, sender_id, type, body, created_at)
SELECT s1_convs.id, g / c.n + 1, NULL, CASE WHEN g % 97 = 0 THEN 'note' ELSE 'text' END,
	CASE g % 3
	WHEN 0 THEN (SELECT string_agg(w.zh[1 + floor(power(random(), 2.2) * array_length(w.zh, 1))::int + 0 * s],
			CASE WHEN random() < 0.15 THEN '，' ELSE '' END) FROM generate_series(1, 3 + g % 11) s)
		|| CASE WHEN g % 7 = 0 THEN ' 订单号 ' || upper(substr(md5(g::text), 1, 8)) ELSE '' END
	WHEN 1 THEN (SELECT string_agg(w.en[1 + floor(power(random(), 2.2) * array_length(w.en, 1))::int + 0 * s], ' ')
			FROM generate_series(1, 4 + g % 14) s)
		|| CASE WHEN g % 5 = 0 THEN ' order ' || upper(substr(md5(g::text), 1, 8)) ELSE '' END
	ELSE (SELECT string_agg(CASE WHEN random() < 0.5 THEN w.en[1 + floor(power(random(), 2.2) * array_length(w.en, 1))::int + 0 * s]
			ELSE w.zh[1 + floor(power(random(), 2.2) * array_length(w.zh, 1))::int + 0 * s] END, ' ')
			FROM generate_series(1, 3 + g % 9) s)
		|| CASE WHEN g % 11 = 0 THEN ' my email is visitor' || (g % w.visitors) || '@example.com' ELSE '' END
	END,
	now() - interval '1 second' * (w.messages - g)
FROM w, c, generate_series(0, w.messages - 1) g, s1_convs WHERE s1_convs.n = g % c.n;

INSERT INTO search_pending (message_id) SELECT id FROM messages WHERE body <> '';

UPDATE conversations c SET last_seq = m.seq, last_message_at = m.created_at
FROM (SELECT DISTINCT ON (conversation_id) conversation_id, seq, created_at FROM messages ORDER BY conversation_id, seq DESC) m
WHERE m.conversation_id = c.id;

INSERT INTO conversation_activity (conversation_id, last_message_at, support, resolved)
SELECT id, last_message_at, kind = 'support', status = 'resolved' FROM conversations WHERE last_message_at IS NOT NULL
ON CONFLICT (conversation_id) DO UPDATE SET last_message_at = excluded.last_message_at, resolved = excluded.resolved;
`

// s1Kind is one kind of query, and the queries of that kind S1 draws from.
type s1Kind struct {
	name    string
	member  bool // searched as the member, else as an agent
	queries []string
}

func s1Kinds(visitors int) []s1Kind {
	var emails []string
	for i := range 20 {
		emails = append(emails, fmt.Sprintf("visitor%d@example.com", 1+i*visitors/20))
	}
	return []s1Kind{
		{"latin word", false, []string{"refund", "invoice", "password", "bluetooth", "warranty", "subscription", "delivery", "manual"}},
		{"partial latin word", false, []string{"refu", "voic", "passw", "etooth", "arrant", "scripti", "liver", "anua"}},
		{"two latin words", false, []string{"refund order", "invoice email", "password reset", "battery broken"}},
		{"2-char Chinese", false, []string{"退款", "发票", "密码", "蓝牙", "耳机", "物流", "快递", "说明"}},
		{"4-char Chinese", false, []string{"发票抬头", "无法连接", "申请退款", "中文版说", "银行卡号", "订单错了"}},
		{"visitor email", false, emails},
		{"visitor name", false, []string{"Lovelace", "黛玉", "Grace Hopper", "王芳"}},
		{"latin word, as a member", true, []string{"refund", "invoice", "password", "bluetooth"}},
		{"2-char Chinese, as a member", true, []string{"退款", "发票", "密码", "蓝牙"}},
	}
}

func (b *bench) search(ctx context.Context) error {
	n := b.opts.messages
	b.progress("S1: filling a database with %d messages in %d visitors' chats and %d groups", n, s1Visitors, s1Groups)
	db, _, err := b.pg.openDatabase(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	began := time.Now()
	agent, member, err := s1Fill(ctx, db, n)
	if err != nil {
		return err
	}
	b.progress("S1: filled and indexed in %s; searching", time.Since(began).Round(time.Second))
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range s1Kinds(s1Visitors) {
		v := agent
		if k.member {
			v = member
		}
		var took []time.Duration
		found := 0
		for i := range s1Searches {
			q := k.queries[rng.IntN(len(k.queries))]
			start := time.Now()
			res, err := db.Search(ctx, v, q, 0, store.SearchLimit)
			if err != nil {
				return fmt.Errorf("search %q: %w", q, err)
			}
			took = append(took, time.Since(start))
			if i < len(k.queries) {
				found += len(res.Messages) + len(res.Conversations)
			}
		}
		slices.Sort(took)
		p50, p95, p99 := s1Quantile(took, 0.5), s1Quantile(took, 0.95), s1Quantile(took, 0.99)
		b.rows = append(b.rows, row{figure: fmt.Sprintf("S1 search p95, %s, %s messages", k.name, count(n)),
			kefu:      ms(p95),
			reference: fmt.Sprintf("p50 %s, p99 %s; e.g. %q", ms(p50), ms(p99), k.queries[0]),
			target:    fmt.Sprintf("< %d ms", s1TargetP95MS), load: loadAverage()})
		if found == 0 {
			b.notes = append(b.notes, fmt.Sprintf("S1 %s: the searches found nothing", k.name))
		}
	}
	return nil
}

// s1Fill fills db as a restore would: the search indexes are made after
// the rows. It returns an agent and a member to search as.
func s1Fill(ctx context.Context, db *store.DB, messages int) (agent, member chat.Viewer, err error) {
	a, err := db.CreateMember(ctx, store.NewMember{Email: "agent@s1.localhost", Name: "Agent", PasswordHash: "x"})
	if err != nil {
		return agent, member, err
	}
	m, err := db.CreateMember(ctx, store.NewMember{Email: "member@s1.localhost", Name: "Member", PasswordHash: "x"})
	if err != nil {
		return agent, member, err
	}
	pool := db.Pool()
	var defs []string
	rows, err := pool.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes
		WHERE tablename = 'message_search' AND (indexdef LIKE '%search_words%' OR indexdef LIKE '%gin_trgm_ops%')`)
	if err != nil {
		return agent, member, err
	}
	var names []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return agent, member, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := rows.Err(); err != nil {
		return agent, member, err
	}
	if len(defs) != 2 {
		return agent, member, fmt.Errorf("the search indexes: found %v", names)
	}
	if _, err := pool.Exec(ctx, "DROP INDEX "+strings.Join(names, ", ")); err != nil {
		return agent, member, err
	}
	words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	tx, err := pool.Begin(ctx)
	if err != nil {
		return agent, member, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, s1Params, messages, s1Visitors, s1Groups, m.ID, s1MemberOf,
		words(s1English), words(s1Chinese), words(s1Surnames), words(s1Given), words(s1First), words(s1Last)); err != nil {
		return agent, member, err
	}
	for _, stmt := range splitStatements(s1FillSQL) {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return agent, member, fmt.Errorf("filling: %w\n%s", err, stmt)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return agent, member, err
	}
	// Every message is pending now, noted as the statement that stores a
	// message notes it: the indexer takes them all, as it would after a
	// restore.
	for {
		n, err := db.IndexPending(ctx, 100_000)
		if err != nil {
			return agent, member, err
		}
		if n == 0 {
			break
		}
	}
	slices.Sort(defs)
	for _, def := range defs {
		if _, err := pool.Exec(ctx, def); err != nil {
			return agent, member, err
		}
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return agent, member, err
	}
	return chat.Viewer{UserID: a.ID, IsAgent: true}, chat.Viewer{UserID: m.ID}, nil
}

// splitStatements splits the fill at its blank lines.
func splitStatements(s string) []string {
	var out []string
	for _, part := range strings.Split(s, "\n\n") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// s1Quantile is the q-quantile of sorted ds.
func s1Quantile(ds []time.Duration, q float64) time.Duration {
	return ds[max(int(math.Ceil(q*float64(len(ds))))-1, 0)]
}

// count writes n as people read it: 1M, 200k, 5000.
func count(n int) string {
	switch {
	case n >= 1e6 && n%1e6 == 0:
		return fmt.Sprintf("%dM", n/1e6)
	case n >= 1e3 && n%1e3 == 0:
		return fmt.Sprintf("%dk", n/1e3)
	}
	return fmt.Sprint(n)
}
