// The interface's words in English and Simplified Chinese: every string
// the page shows is in CATALOGUE below, one entry per key with both
// languages. The language is the player's choice (the switch in the page,
// kept in localStorage), else the browser's (navigator.languages: any
// zh-* gives zh-CN), else English.
//
//   t(key, vars)      the string in the current language, {name} filled in
//   applyDom(root)    fills elements marked data-i18n="key" (text),
//                     data-i18n-html (trusted markup from the catalogue),
//                     data-i18n-attr="attr:key;attr:key"
//   setLang(lang)     switches, persists, re-applies and tells onChange
//                     listeners

const LANG_KEY = 'lordgame.lang';
export const LANGS = ['en', 'zh-CN'];

// [English, 简体中文]
const CATALOGUE = {
  locale: ['en-US', 'zh-CN'],
  'lang.name': ['English', '中文'],
  'lang.switch': ['Language', '语言'],
  'app.title': ['LordGame · Dou Dizhu', 'LordGame · 斗地主'],

  // Modes and roles
  'mode.practice': ['Practice', '练习场'],
  'mode.classic': ['Classic', '经典场'],
  'mode.table': ['Table', '牌桌'],
  'role.landlord': ['Landlord', '地主'],
  'role.farmer': ['Farmer', '农民'],
  'seat.n': ['Seat {n}', '{n}号座'],

  // Leaderboard
  'lb.title': ['Leaderboard', '排行榜'],
  'lb.coins_tab': ['Coins', '金币'],
  'lb.rating_tab': ['Rating', '积分'],
  'lb.all': ['All time', '总榜'],
  'lb.week': ['This week', '本周'],
  'lb.day': ['Today', '今日'],
  'lb.you': ['You:', '我的排名:'],
  'lb.unranked': ['Not ranked yet: finish a game to get on the board.', '暂未上榜:打完一局即可上榜。'],
  'lb.empty': ['No one on this board yet.', '榜上暂无玩家。'],
  'lb.unavailable': ['The leaderboard is unavailable right now.', '排行榜暂时无法访问。'],
  'lb.coins': ['{n} coins', '{n} 金币'],
  'lb.gap': ['More players are ranked between these rows', '这两行之间还有其他玩家'],
  'lb.prev': ['Previous', '上一页'],
  'lb.next': ['Next', '下一页'],

  // History
  'history.title': ['Recent games', '最近对局'],
  'history.empty': ['No finished games yet.', '还没有完成的对局。'],
  'history.more': ['Load more', '加载更多'],
  'history.replay': ['Replay', '回放'],
  'history.won': ['Won', '胜'],
  'history.lost': ['Lost', '负'],
  'history.cancelled': ['Cancelled', '已取消'],
  'history.with': ['with {names}', '对手:{names}'],
  'history.failed': ['Could not load your games.', '无法加载对局记录。'],

  // Replay
  'replay.title': ['Replay', '对局回放'],
  'replay.close': ['Close', '关闭'],
  'replay.first': ['First', '开始'],
  'replay.prev': ['Back', '上一步'],
  'replay.next': ['Forward', '下一步'],
  'replay.last': ['Last', '结束'],
  'replay.step': ['Step {n} of {of}', '第 {n} / {of} 步'],
  'replay.start': ['Before the deal.', '发牌前。'],
  'replay.deal': ['Deal {n}: {who} bids first.', '第 {n} 次发牌:{who} 先叫。'],
  'replay.landlord': ['{who} becomes the landlord and takes the bottom cards.', '{who} 成为地主,拿走底牌。'],
  'replay.pass': ['Pass', '不出'],
  'replay.redeal': ['Everyone passed: the cards are dealt again.', '无人叫地主:重新发牌。'],
  'replay.cancelled': ['The game was cancelled.', '对局已取消。'],
  'replay.end': ['The hand is over.', '本局结束。'],
  'replay.landlord_won': ['The landlord wins (×{m}).', '地主获胜(×{m})。'],
  'replay.farmers_won': ['The farmers win (×{m}).', '农民获胜(×{m})。'],
  'replay.cards': ['{n} cards', '{n} 张'],
  'replay.you': ['you', '我'],
  'replay.timed_out': ['time ran out', '超时'],
  'replay.auto': ['auto-play', '托管'],
  'replay.failed': ['Could not load that game.', '无法加载该对局。'],
  'replay.bottom': ['Bottom', '底牌'],

  // Bids
  'bid.n': ['{n} pt', '{n} 分'],
  'bid.none': ['No bid', '不叫'],
  'double.yes': ['Double', '加倍'],
  'double.no': ['No double', '不加倍'],
  'double.badge': ['×2', '加倍'],
  'show.button': ['Show hand', '明牌'],
  'show.title': ['Show your whole hand to both farmers for ×2', '向两位农民亮出全部手牌，倍数 ×2'],
  'show.badge': ['Shown', '明牌'],
  'replay.show': ['{who} shows the hand (×2)', '{who} 明牌（×2）'],
  'show.shown': ["The landlord's hand, shown", '地主明牌'],
  'counter.title': ['Unseen', '记牌器'],
  'counter.bj': ['BJ', '小王'],
  'counter.rj': ['RJ', '大王'],
  'center.doubling': ['{who} is choosing whether to double…', '{who} 正在选择是否加倍…'],
  'center.your_double': ['Double?', '加倍吗？'],
  'center.double_hint': ['×2 on your stake against the other side', '你与对方的输赢 ×2'],
  'result.shown': ['Show-hand', '明牌'],
  'result.shown_x2': ['Yes (×2)', '是（×2）'],
  'result.doubles': ['Doubling', '加倍'],
  'result.pair': ['Your stake multiplier', '你的倍数'],
  'call.yes': ['Call', '叫地主'],
  'call.no': ['No call', '不叫'],
  'grab.yes': ['Grab', '抢地主'],
  'grab.no': ['No grab', '不抢'],

  // Play types
  'type.single': ['Single', '单张'],
  'type.pair': ['Pair', '对子'],
  'type.trio': ['Trio', '三张'],
  'type.trio_single': ['Trio + 1', '三带一'],
  'type.trio_pair': ['Trio + pair', '三带一对'],
  'type.straight': ['Straight', '顺子'],
  'type.pair_chain': ['Pair chain', '连对'],
  'type.airplane': ['Airplane', '飞机'],
  'type.airplane_single': ['Airplane + wings', '飞机带翅膀'],
  'type.airplane_pair': ['Airplane + pairs', '飞机带对子'],
  'type.four_two_single': ['Four + 2', '四带二'],
  'type.four_two_pair': ['Four + 2 pairs', '四带两对'],
  'type.bomb': ['Bomb!', '炸弹!'],
  'type.rocket': ['Rocket!', '王炸!'],

  // Profile and stats
  'stats.games': ['Games', '局数'],
  'stats.wins': ['Wins', '胜局'],
  'stats.win_rate': ['Win rate', '胜率'],
  'stats.landlord': ['As landlord', '地主胜/局'],
  'stats.farmer': ['As farmer', '农民胜/局'],
  'stats.springs': ['Springs', '春天'],
  'stats.best': ['Best ×', '最高倍数'],
  'stats.rating_over_time': ['Rating over time', '积分走势'],
  'stats.rating_range': ['Rating {lo}–{hi} over the latest games', '最近对局积分 {lo}–{hi}'],
  'stats.no_history': ['Play a few games to see your rating over time.', '多打几局即可看到积分走势。'],
  'profile.avatar': ['Avatar', '头像'],
  'profile.avatar_saved': ['Avatar saved.', '头像已保存。'],
  'avatar.rat': ['Rat', '鼠'],
  'avatar.ox': ['Ox', '牛'],
  'avatar.tiger': ['Tiger', '虎'],
  'avatar.rabbit': ['Rabbit', '兔'],
  'avatar.dragon': ['Dragon', '龙'],
  'avatar.snake': ['Snake', '蛇'],
  'avatar.horse': ['Horse', '马'],
  'avatar.goat': ['Goat', '羊'],
  'avatar.monkey': ['Monkey', '猴'],
  'avatar.rooster': ['Rooster', '鸡'],
  'avatar.dog': ['Dog', '狗'],
  'avatar.pig': ['Pig', '猪'],

  // The chat panel (js/chat.js), which looks its words up by their English
  // (byEnglish).
  'chat.en.owner': ['owner', '群主'],
  'chat.en.admin': ['admin', '管理员'],
  'chat.en.member': ['member', '成员'],
  'chat.en.everyone': ['everyone', '所有人'],
  'chat.en.0': ['You are sending too fast: wait a moment.', '发送太快了,请稍等。'],
  'chat.en.1': ['Type a message first.', '请先输入消息。'],
  'chat.en.2': ['That message is too long.', '消息太长了。'],
  'chat.en.3': ['This player does not accept your messages.', '该玩家不接收你的消息。'],
  'chat.en.4': ['You are not a member of this conversation.', '你不是该会话的成员。'],
  'chat.en.5': ['You are muted in this group.', '你在该群中被禁言。'],
  'chat.en.6': ['Too late to recall that message.', '已超过撤回时限。'],
  'chat.en.7': ['You can only recall your own messages.', '只能撤回自己的消息。'],
  'chat.en.8': ['That group is invite-only.', '该群仅限邀请加入。'],
  'chat.en.9': ['That group is full.', '该群已满。'],
  'chat.en.10': ['You are already in that group.', '你已在该群中。'],
  'chat.en.11': ['The owner cannot leave: hand the group over or disband it.', '群主不能退群:请转让或解散该群。'],
  'chat.en.12': ['No such conversation.', '没有该会话。'],
  'chat.en.13': ['No such player.', '没有该玩家。'],
  'chat.en.14': ['That is you.', '这是你自己。'],
  'chat.en.15': ['Group names are 1–32 characters.', '群名为 1–32 个字符。'],
  'chat.en.16': ['That group was disbanded.', '该群已解散。'],
  'chat.en.17': ['You are friends already.', '你们已经是好友了。'],
  'chat.en.18': ['You are in too many groups.', '你加入的群太多了。'],
  'chat.en.19': ['Too many friends.', '好友太多了。'],
  'chat.en.20': ['{by} created the group', '{by} 创建了群'],
  'chat.en.21': ['{user} joined', '{user} 加入了群'],
  'chat.en.22': ['{by} added {user}', '{by} 邀请了 {user}'],
  'chat.en.23': ['{user} left', '{user} 退出了群'],
  'chat.en.24': ['{by} removed {user}', '{by} 移除了 {user}'],
  'chat.en.25': ['{by} muted {user}', '{by} 禁言了 {user}'],
  'chat.en.26': ['{by} unmuted {user}', '{by} 解除了 {user} 的禁言'],
  'chat.en.27': ['{user} is now an admin', '{user} 成为管理员'],
  'chat.en.28': ['{user} is now a member', '{user} 成为普通成员'],
  'chat.en.29': ['{user} is now the owner', '{user} 成为群主'],
  'chat.en.30': ['{by} disbanded the group', '{by} 解散了群'],
  'chat.en.31': ['Messages', '消息'],
  'chat.en.32': ['Back', '返回'],
  'chat.en.33': ['Close', '关闭'],
  'chat.en.34': ['Chats', '会话'],
  'chat.en.35': ['People', '好友'],
  'chat.en.36': ['Your player id:', '我的玩家 ID:'],
  'chat.en.37': ['Player id', '玩家 ID'],
  'chat.en.38': ['Player id to message', '要私聊的玩家 ID'],
  'chat.en.39': ['Message', '发消息'],
  'chat.en.40': ['New group name', '新群名称'],
  'chat.en.41': ['open', '公开'],
  'chat.en.42': ['Create', '创建'],
  'chat.en.43': ['Group id', '群 ID'],
  'chat.en.44': ['Group id to join', '要加入的群 ID'],
  'chat.en.45': ['Join group', '加入群'],
  'chat.en.46': ['Add friend', '加好友'],
  'chat.en.47': ['Send', '发送'],
  'chat.en.48': ['{who} wants to be your friend.', '{who} 想加你为好友。'],
  'chat.en.49': ['{who} accepted your friend request.', '{who} 接受了你的好友请求。'],
  'chat.en.50': ['{who} declined your friend request.', '{who} 拒绝了你的好友请求。'],
  'chat.en.51': ['World', '世界'],
  'chat.en.52': ['Table', '牌桌'],
  'chat.en.53': ['You', '我'],
  'chat.en.54': ['You: ', '我:'],
  'chat.en.55': ['Unblock', '取消屏蔽'],
  'chat.en.56': ['Block', '屏蔽'],
  'chat.en.57': ['Members', '成员'],
  'chat.en.58': ['Leave', '退出'],
  'chat.en.59': ['This group was disbanded', '该群已解散'],
  'chat.en.60': ['Start of the conversation', '会话开始'],
  'chat.en.61': ['Scroll up for older messages', '向上滚动查看更早的消息'],
  'chat.en.62': ['You recalled a message', '你撤回了一条消息'],
  'chat.en.63': ['Message recalled', '消息已撤回'],
  'chat.en.64': ['Message deleted by a moderator', '消息已被管理员删除'],
  'chat.en.65': ['Read', '已读'],
  'chat.en.66': ['Sent', '已发送'],
  'chat.en.67': ['Read by {n}', '{n} 人已读'],
  'chat.en.68': ['Recall', '撤回'],
  'chat.en.69': ['Group updated', '群信息已更新'],
  'chat.en.70': ['Give the group a name.', '请给群起个名字。'],
  'chat.en.71': ['Friend request sent.', '好友请求已发送。'],
  'chat.en.72': ['You are friends now.', '你们已成为好友。'],
  'chat.en.73': ['{who} is blocked: you no longer see their messages.', '已屏蔽 {who}:你将不再看到其消息。'],
  'chat.en.74': ['{who} is unblocked.', '已取消屏蔽 {who}。'],
  'chat.en.75': ['Remove', '删除'],
  'chat.en.76': ['Accept', '接受'],
  'chat.en.77': ['Decline', '拒绝'],
  'chat.en.78': ['request sent', '已发送请求'],
  'chat.en.79': ['Withdraw', '撤回请求'],
  'chat.en.80': ['Friends', '好友'],
  'chat.en.81': ['Blocked', '已屏蔽'],
  'chat.en.82': ['No friends yet: add one by player id, or from a name in a chat.', '还没有好友:可按玩家 ID 添加,或点击聊天中的名字添加。'],
  'chat.en.83': ['Nobody.', '无。'],
  'chat.en.84': ['online', '在线'],
  'chat.en.85': ['offline', '离线'],
  'chat.en.86': ['Group {id}', '群 {id}'],
  'chat.en.87': ['Player ·{id}', '玩家 ·{id}'],
  'chat.en.88': ['Player id {id}', '玩家 ID {id}'],
  'chat.en.89': ['Message {who}', '给 {who} 发消息'],
  'chat.en.90': ['Player id to add', '要加入的玩家 ID'],
  'chat.en.91': ['Add to group', '加入群组'],
  'chat.en.92': ['Only the owner or an admin may do that.', '只有群主或管理员可以这样做。'],
  'chat.en.93': ['Only the owner may do that.', '只有群主可以这样做。'],
  'chat.en.94': ['A mute lasts up to 30 days.', '禁言最长 30 天。'],
  'chat.en.95': ['1 minute', '1 分钟'],
  'chat.en.96': ['10 minutes', '10 分钟'],
  'chat.en.97': ['1 hour', '1 小时'],
  'chat.en.98': ['1 day', '1 天'],
  'chat.en.99': ['You were removed from {group}.', '你已被移出 {group}。'],
  'chat.en.100': ['Disband', '解散'],
  'chat.en.101': ['Disband the group?', '解散这个群?'],
  'chat.en.102': ['Cancel', '取消'],
  'chat.en.103': ['{n} members', '{n} 名成员'],
  'chat.en.104': ['invite-only', '仅限邀请'],
  'chat.en.105': ['Unmute', '解除禁言'],
  'chat.en.106': ['Mute for', '禁言时长'],
  'chat.en.107': ['Mute', '禁言'],
  'chat.en.108': ['Make admin', '设为管理员'],
  'chat.en.109': ['Remove admin', '取消管理员'],
  'chat.en.110': ['muted until {time}', '禁言至 {time}'],
  'chat.en.111': ['Remove from group', '移出群'],
  'chat.en.112': ['You are muted in this group', '你在该群中被禁言'],
  'chat.en.113': ['{n} member', '{n} 名成员'],
  'chat.en.114': ['in a game', '游戏中'],

  // The rest of the page: auth, lobby, queue, table, result, errors
  'rule.not_your_turn': ['It is not your turn.', '还没轮到你。'],
  'rule.invalid_combination': ['Those cards are not a valid combination.', '这些牌不是有效的牌型。'],
  'rule.does_not_beat': ['Those cards do not beat the current play.', '这些牌大不过上家。'],
  'rule.cards_not_held': ['You do not hold those cards.', '你没有这些牌。'],
  'rule.stale_state': ['The table moved on before your move arrived: look again.', '你出手前牌局已经变化,请重新查看。'],
  'rule.leader_cannot_pass': ['You lead this round: you must play.', '本轮由你先出:必须出牌。'],
  'rule.bid_not_higher': ['Your bid must be higher than the highest bid.', '叫分必须高于当前最高分。'],
  'rule.bid_out_of_range': ['Bids are 1, 2 or 3 (or pass).', '只能叫 1、2、3 分(或不叫)。'],
  'rule.wrong_phase': ['That is not possible in this phase of the game.', '当前阶段不能这样做。'],
  'rule.game_over': ['The hand is over.', '本局已结束。'],
  'rule.not_at_table': ['You are not at a table.', '你不在牌桌上。'],
  'rule.game_paused': ['The table is waiting for players to come back.', '牌桌正在等待玩家回来。'],
  'rule.game_stalled': ['The game cannot be recorded right now: the table is paused until the server recovers.', '暂时无法记录对局:牌桌已暂停,等待服务器恢复。'],
  'rule.bad_card': ['Unknown card.', '未知的牌。'],
  'rule.chat_rate_limited': ['You are chatting too fast.', '发言太快了。'],
  'rule.chat_invalid': ['That message cannot be sent.', '这条消息无法发送。'],
  'rule.already_queued': ['You are already in a queue.', '你已在排队中。'],
  'rule.already_seated': ['You are already at a table.', '你已在牌桌上。'],
  'rule.insufficient_balance': ['You do not have enough coins for this table.', '金币不足,无法进入该场。'],
  'rule.unknown_mode': ['Unknown game mode.', '未知的游戏模式。'],
  'rule.not_queued': ['You are not in a queue.', '你不在排队中。'],
  'code.bad_request': ['The request was not accepted.', '请求未被接受。'],
  'code.unauthenticated': ['Please log in again.', '请重新登录。'],
  'code.forbidden': ['You are not allowed to do that.', '你无权这样做。'],
  'code.not_found': ['Not found.', '未找到。'],
  'code.conflict': ['That is not possible right now.', '现在无法这样做。'],
  'code.rate_limited': ['Too many attempts. Wait a moment and try again.', '尝试次数过多,请稍后再试。'],
  'code.unavailable': ['The server is busy. Try again in a moment.', '服务器繁忙,请稍后再试。'],
  'code.internal': ['Something went wrong on the server. Try again.', '服务器出错了,请重试。'],
  'code.network': ['Cannot reach the server. Check your connection.', '无法连接服务器,请检查网络。'],
  'code.unexpected': ['Unexpected error.', '未知错误。'],
  'auth.please': ['Please log in.', '请登录。'],
  'auth.ended': ['Your session has ended. Please log in again.', '会话已结束,请重新登录。'],
  'auth.again': ['Please log in again.', '请重新登录。'],
  'auth.h1': ['Dou Dizhu', '斗地主'],
  'auth.tagline': ['Fight the Landlord. Three players, one deck, one landlord against two farmers.', '三人一副牌,一个地主对两个农民。'],
  'auth.guest': ['Play as guest', '游客试玩'],
  'auth.or': ['or use an account', '或使用账号'],
  'auth.tab_login': ['Log in', '登录'],
  'auth.tab_register': ['Register', '注册'],
  'auth.username': ['Username', '用户名'],
  'auth.password': ['Password', '密码'],
  'auth.password2': ['Repeat password', '确认密码'],
  'auth.hint': ['Username: 3–20 letters, digits or _, starting with a letter. Password: at least 8 characters.', '用户名:3–20 个字母、数字或下划线,以字母开头。密码:至少 8 位。'],
  'auth.login': ['Log in', '登录'],
  'auth.create': ['Create account', '创建账号'],
  'auth.user_len': ['Username: use 3 to 20 characters.', '用户名需 3 到 20 个字符。'],
  'auth.user_chars': ['Username: use letters, digits and _ only, starting with a letter.', '用户名只能用字母、数字和下划线,并以字母开头。'],
  'auth.pass_len': ['Password: use at least 8 characters.', '密码至少 8 位。'],
  'auth.pass_match': ['The two passwords do not match.', '两次输入的密码不一致。'],
  'auth.pass_enter': ['Enter your password.', '请输入密码。'],
  'auth.wrong': ['Wrong username or password.', '用户名或密码错误。'],
  'auth.taken': ['That username is taken.', '该用户名已被占用。'],
  'player': ['Player', '玩家'],
  'player.n': ['Player {n}', '玩家 {n}'],
  'bot.n': ['Bot {n}', '机器人 {n}'],
  'you': ['You', '我'],
  'lobby.logout': ['Log out', '退出登录'],
  'lobby.guest': ['guest', '游客'],
  'lobby.edit': ['Edit', '编辑'],
  'lobby.coins': ['coins', '金币'],
  'lobby.rating': ['rating', '积分'],
  'lobby.connecting': ['Connecting to the game server… try again in a moment.', '正在连接游戏服务器…请稍后再试。'],
  'mode.practice.desc': ['Play against two bots right away. No coins at stake.', '立即与两个机器人对战,不输赢金币。'],
  'mode.practice.go': ['Play', '开始'],
  'mode.classic.desc': ['Ranked table with real players. Bots fill empty seats after a short wait.', '与真人玩家排位对战,稍等片刻后由机器人补位。'],
  'mode.classic.go': ['Find a table', '匹配牌桌'],
  'queue.looking': ['Looking for players…', '正在寻找玩家…'],
  'queue.found': ['Table found! Dealing…', '找到牌桌!正在发牌…'],
  'queue.finding': ['Finding a table…', '正在匹配牌桌…'],
  'queue.position': ['#{n} in queue', '排队第 {n} 位'],
  'queue.eta': ['about {n} s left', '约剩 {n} 秒'],
  'queue.cancel': ['Cancel', '取消'],
  'conn.reconnecting': ['Reconnecting…', '正在重新连接…'],
  'conn.retry': ['Retry now', '立即重试'],
  'conn.reconnect': ['Reconnect', '重新连接'],
  'conn.lost': ['Connection lost. Reconnecting in {n} s (attempt {a})…', '连接已断开,{n} 秒后重连(第 {a} 次)…'],
  'profile.title': ['Your profile', '个人资料'],
  'profile.display_name': ['Display name', '昵称'],
  'profile.name_hint': ['2–24 characters: letters, digits, spaces, _ and -.', '2–24 个字符:文字、数字、空格、_ 和 -。'],
  'profile.save_name': ['Save name', '保存昵称'],
  'profile.name_saved': ['Name saved.', '昵称已保存。'],
  'profile.keep': ['Keep this account', '保留此账号'],
  'profile.keep_hint': ['Pick a username and password to log in from anywhere. Your coins and stats stay.', '设置用户名和密码即可在任何地方登录,金币和战绩都会保留。'],
  'profile.create_login': ['Create login', '创建登录'],
  'profile.upgraded': ['Your account is saved: log in with your username from now on.', '账号已保存:今后请用用户名登录。'],
  'profile.load_failed': ['Could not load your profile: {err}', '无法加载个人资料:{err}'],
  'howto.title': ['How to play', '玩法说明'],
  'howto.intro': ['Bid 1–3 to become the <b>landlord</b>: you take the 3 bottom cards and play alone against two <b>farmers</b>. The first side to empty a hand wins. Beat the last play with the same kind of combination, higher — or pass.', '叫 1–3 分争当<b>地主</b>:地主拿走 3 张底牌,独自对抗两位<b>农民</b>。先出完牌的一方获胜。出同类型且更大的牌压过上家,或者选择不出。'],
  'howto.order': ['Low → high', '从小到大'],
  'howto.score': ['Score = bid × 2 per bomb or rocket played × 2 for a spring. The landlord wins or pays it twice.', '得分 = 叫分 × 每个炸弹或王炸 ×2 × 春天 ×2。地主赢或输双倍。'],
  'howto.pair': ['Pair', '对子'],
  'howto.pair.note': ['two alike', '两张同点'],
  'howto.trio_single': ['Trio + 1', '三带一'],
  'howto.trio_single.note': ['or + a pair', '或带一对'],
  'howto.straight': ['Straight', '顺子'],
  'howto.straight.note': ['5+ in a row, up to A', '5 张以上连续,最大到 A'],
  'howto.pair_chain': ['Pair chain', '连对'],
  'howto.pair_chain.note': ['3+ pairs in a row', '3 对以上连续'],
  'howto.airplane': ['Airplane', '飞机'],
  'howto.airplane.note': ['2+ trios in a row', '2 个以上连续三张'],
  'howto.four_two_single': ['Four + 2', '四带二'],
  'howto.four_two_single.note': ['not a bomb', '不算炸弹'],
  'howto.bomb': ['Bomb', '炸弹'],
  'howto.bomb.note': ['beats any non-bomb', '大过任何非炸弹'],
  'howto.rocket': ['Rocket', '王炸'],
  'howto.rocket.note': ['beats everything', '最大'],
  'phrase.1': ['Hello!', '大家好!'],
  'phrase.2': ['Nice play!', '打得好!'],
  'phrase.3': ['Hurry up, please.', '快点吧。'],
  'phrase.4': ['Well played, partner!', '配合得好,队友!'],
  'phrase.5': ['Oops.', '哎呀。'],
  'phrase.6': ['Good game!', '好局!'],
  'chat.title': ['Chat', '聊天'],
  'chat.placeholder': ['Say something…', '说点什么…'],
  'chat.label': ['Chat message', '聊天消息'],
  'chat.send': ['Send', '发送'],
  'game.cancelled': ['The game was cancelled. No coins moved.', '对局已取消,金币未变动。'],
  'game.paused_store': ['The server cannot record the game right now: the table is paused and resumes by itself.', '服务器暂时无法记录对局:牌桌已暂停,恢复后自动继续。'],
  'table.left': ['You left the table: auto-play finishes the hand for you.', '你已离开牌桌:由托管替你打完本局。'],
  'table.redeal': ['Everybody passed: the cards are dealt again.', '无人叫地主:重新发牌。'],
  'table.auto': ['Auto-play', '托管'],
  'table.auto_on': ['Auto-play on', '托管中'],
  'table.auto_playing': ['Auto-play is playing for you', '托管正在替你出牌'],
  'table.take_over': ['Take over', '取消托管'],
  'table.pass': ['Pass', '不出'],
  'table.pass_title': ['Pass (Space)', '不出(空格)'],
  'table.hint': ['Hint', '提示'],
  'table.hint_title': ['Hint (H); again for the next one', '提示(H),再按换下一个'],
  'table.play': ['Play', '出牌'],
  'table.play_title': ['Play the selected cards (Enter)', '出选中的牌(回车)'],
  'table.nothing_beats': ['Nothing in your hand beats that play: pass.', '没有大过上家的牌:请不出。'],
  'table.leave': ['Leave', '离开'],
  'table.bottom': ['Bottom cards', '底牌'],
  'table.your_cards': ['Your cards', '我的手牌'],
  'title.turn': ['Your turn · LordGame', '轮到你了 · LordGame'],
  'fx.bomb': ['BOMB!', '炸弹!'],
  'fx.rocket': ['ROCKET!', '王炸!'],
  'fx.you_landlord': ['You are the landlord', '你是地主'],
  'fx.is_landlord': ['{who} is the landlord', '{who} 是地主'],
  'fx.bid': ['bid {n}', '叫 {n} 分'],
  'bid.pts': ['{n} pts', '{n} 分'],
  'bids.title': ['Bids', '叫分'],
  'bids.pass': ['pass', '不叫'],
  'bids.time': ['time', '超时'],
  'bids.auto': ['auto', '托管'],
  'role.bidding': ['Bidding', '叫分中'],
  'badge.auto': ['Auto', '托管'],
  'badge.offline': ['Offline', '离线'],
  'badge.bot': ['Bot', '机器人'],
  'center.waiting': ['Waiting for the deal…', '等待发牌…'],
  'center.your_bid': ['Your bid', '轮到你叫分'],
  'center.want_landlord': ['want to be the landlord?', '要当地主吗?'],
  'center.bidding': ['{who} is bidding…', '{who} 正在叫分…'],
  'center.your_lead': ['Your lead', '你先出'],
  'center.play_any': ['play any combination', '可以出任意牌型'],
  'center.your_turn': ['Your turn', '轮到你了'],
  'center.beat': ['beat {who}\'s {what} or pass', '压过 {who} 的{what},或者不出'],
  'center.beat_it': ['beat it or pass', '压过或者不出'],
  'center.play': ['play', '牌'],
  'center.thinking': ['{who} is thinking…', '{who} 正在思考…'],
  'center.paused': ['The table is waiting for players to come back…', '牌桌正在等待玩家回来…'],
  'timeout.mine': ['Your time ran out', '你超时了'],
  'timeout.theirs': ['{who} ran out of time', '{who} 超时了'],
  'timeout.a_player': ['A player', '一位玩家'],
  'timeout.bid.me': ['{who}: you bid {n}.', '{who}:系统替你叫了 {n} 分。'],
  'timeout.bid.them': ['{who}: they bid {n}.', '{who}:系统替其叫了 {n} 分。'],
  'timeout.nobid.me': ['{who}: you passed on the bid.', '{who}:系统替你选择不叫。'],
  'timeout.nobid.them': ['{who}: they passed on the bid.', '{who}:系统替其选择不叫。'],
  'timeout.pass.me': ['{who}: you passed.', '{who}:系统替你选择不出。'],
  'timeout.pass.them': ['{who}: they passed.', '{who}:系统替其选择不出。'],
  'timeout.play.me': ['{who}: the server played {cards} for you.', '{who}:系统替你出了 {cards}。'],
  'timeout.play.them': ['{who}: the server played {cards} for them.', '{who}:系统替其出了 {cards}。'],
  'revealed.out': ['out', '出完'],
  'leave.title': ['Leave the table?', '离开牌桌?'],
  'leave.stay': ['Stay', '留下'],
  'leave.cost': ['Auto-play will finish this hand for you as {role}. If your side loses at ×{m} you lose up to {n} coins; bombs and a spring can double that.', '托管将以{role}身份替你打完本局。若你方以 ×{m} 输掉,你最多输 {n} 金币;炸弹和春天还会翻倍。'],
  'result.cancelled': ['Game cancelled', '对局取消'],
  'result.cancelled_sub': ['Nobody bid. Nothing was scored.', '无人叫地主,本局不计分。'],
  'result.win': ['You win!', '你赢了!'],
  'result.lose': ['You lose', '你输了'],
  'result.with_spring': [' with a spring!', ',打出春天!'],
  'result.with_anti_spring': [' with an anti-spring!', ',打出反春!'],
  'result.period': ['.', '。'],
  'result.landlord_wins': ['The landlord ({who}) wins', '地主({who})获胜'],
  'result.farmers_win': ['The farmers win', '农民获胜'],
  'result.bid': ['Bid', '叫分'],
  'result.bombs': ['Bombs & rockets', '炸弹和王炸'],
  'result.spring': ['Spring', '春天'],
  'result.spring_x2': ['Spring ×2', '春天 ×2'],
  'result.anti_spring_x2': ['Anti-spring ×2', '反春 ×2'],
  'result.no': ['No', '无'],
  'result.base': ['Base stake', '底分'],
  'result.multiplier': ['Multiplier', '倍数'],
  'result.points': ['Your points', '你的得分'],
  'result.you_mark': [' (you)', '(我)'],
  'result.points_n': ['{n} points', '{n} 分'],
  'result.practice_note': ['Practice game: no coins at stake', '练习场:不输赢金币'],
  'result.house_note': ['Bots play for the house. ', '机器人代表庄家。'],
  'result.coins_n': ['{n} coins', '{n} 金币'],
  'result.balance': ['Balance {n}', '余额 {n}'],
  'result.rating_change': [' · rating {d} → {r}', ' · 积分 {d} → {r}'],
  'result.lobby': ['Back to lobby', '返回大厅'],
  'result.again': ['Play again', '再来一局'],
  'card.big_joker': ['Big joker', '大王'],
  'card.little_joker': ['Little joker', '小王'],
  'lobby.world': ['World map', '世界地图'],
  'lobby.world_desc': ['Walk a shared map with other players and bots, and talk in the world chat.', '和其他玩家、机器人在同一张地图上走动,并在世界频道聊天。'],
  'lobby.world_go': ['Open the map', '打开地图'],
  'world.back': ['Back to the lobby', '返回大厅'],
  'notice.maintenance': ['Maintenance {from} – {to}: {text}', '维护时间 {from} – {to}:{text}'],

  // Connection codes and kicks (js/ws.js)
  'code.timeout': ['The server did not answer in time.', '服务器响应超时。'],
  'code.closed': ['The connection was lost.', '连接已断开。'],
  'kick.logged_in_elsewhere': ['You logged in somewhere else, so this window was disconnected.', '你已在别处登录,此窗口的连接已断开。'],
  'kick.banned': ['This account is banned.', '该账号已被封禁。'],
  'kick.server_shutdown': ['The server is restarting.', '服务器正在重启。'],
  'kick.heartbeat_timeout': ['The connection timed out.', '连接超时。'],
  'kick.rate_limited': ['Too many messages were sent.', '发送的消息过多。'],
  'kick.slow_consumer': ['The connection was too slow.', '网络连接太慢。'],
  'kick.protocol_error': ['The connection had a protocol error.', '连接出现协议错误。'],
  'kick.kicked': ['You were disconnected by the server.', '你已被服务器断开连接。'],
  'kick.other': ['Disconnected.', '连接已断开。'],

  // The world map (/world: world.html, js/world.js, js/world-view.js)
  'world.doc_title': ['LordGame · World', 'LordGame · 世界'],
  'world.title': ['World', '世界'],
  'world.lobby_title': ['Back to the Dou Dizhu lobby', '返回斗地主大厅'],
  'world.leave': ['Leave', '离开'],
  'world.canvas': ['Map of the world around you. Move with the arrow keys or by clicking where you want to go.', '你周围的世界地图。用方向键移动,或点击想去的地方。'],
  'world.help': ['Arrow keys or WASD to move · click or tap to walk there', '方向键或 WASD 移动 · 点击或轻触地图即可走过去'],
  'world.gate_title': ['The world', '世界地图'],
  'world.gate_text': ['Walk around a shared map with other players and bots, and talk in the world chat.', '和其他玩家及机器人一起在同一张地图上漫游,还能在世界频道聊天。'],
  'world.guest': ['Play as guest', '游客进入'],
  'world.enter': ['Enter the world', '进入世界'],
  'world.login_link': ['Log in with an account or play Dou Dizhu', '用账号登录,或去玩斗地主'],
  'world.left': ['You left the world.', '你已离开世界。'],
  'world.connecting': ['Connecting…', '正在连接…'],
  'world.status': ['#{id} · {x}, {z} · {n} in view', '#{id} · 坐标 {x}, {z} · 视野内 {n} 人'],
  'world.you': ['you', '我'],
  'world.player_at': ['{who} at {x}, {z}', '{who} 位于 {x}, {z}'],
  'world.chat_label': ['World chat', '世界聊天'],
  'world.chat_title': ['World chat', '世界频道'],
  'world.chat_sub': ['to everyone in the world', '世界里的所有人都能看到'],
  'world.chat_empty': ['No messages yet. Say hello!', '还没有消息,打个招呼吧!'],
  'world.chat_placeholder': ['Say something to the world', '对全世界说点什么'],
  'world.chat_input': ['World chat message', '世界聊天消息'],
  'world.send': ['Send', '发送'],
  'world.must_enter': ['Enter the world to talk.', '进入世界后才能发言。'],
  'world.rule.not_in_world': ['You are not in the world: enter it first.', '你不在世界中:请先进入。'],
  'world.rule.world_full': ['The world is full. Try again later.', '世界已满,请稍后再试。'],
  'world.rule.off_map': ['That place is outside the map.', '那里超出了地图范围。'],
  'world.rule.too_fast': ['You moved too fast.', '移动太快了。'],
  'world.rule.chat_invalid': ['A message has 1 to 200 characters.', '消息须为 1 到 200 个字符。'],
  'world.rule.chat_rate': ['Slow down: at most 5 messages in 5 seconds.', '慢一点:5 秒内最多发 5 条消息。'],
  'world.rule.world_busy': ['The world is busy. Try again in a moment.', '世界繁忙,请稍后再试。'],
  'world.rule.world_stopped': ['The world is stopping.', '世界正在关闭。'],
};

let lang = initialLang();
const listeners = [];

function initialLang() {
  let saved = '';
  try {
    saved = localStorage.getItem(LANG_KEY) || '';
  } catch {
    // storage may be off
  }
  if (LANGS.includes(saved)) return saved;
  const prefs = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en']).map((l) => String(l).toLowerCase());
  for (const l of prefs) {
    if (l.startsWith('zh')) return 'zh-CN';
    if (l.startsWith('en')) return 'en';
  }
  return 'en';
}

export const currentLang = () => lang;

// t is the catalogue's string for key in the current language with
// {name} replaced from vars; an unknown key is returned as it is (and
// reported once on the console as a warning, for the tests).
export function t(key, vars) {
  const e = CATALOGUE[key];
  if (!e) {
    if (!warned.has(key)) {
      warned.add(key);
      console.warn(`i18n: no string for ${key}`);
    }
    return key;
  }
  let s = e[lang === 'zh-CN' ? 1 : 0];
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));
  return s;
}
const warned = new Set();

export const has = (key) => Object.hasOwn(CATALOGUE, key);

// byEnglish looks a string up by its English words (the chat panel writes
// its strings in English in place): the current language's, with {name}
// filled in from vars. A string not in the catalogue is reported once on
// the console as a warning and shown as it is.
let english = null;
export function byEnglish(en, vars) {
  if (!english) {
    english = new Map();
    for (const [k, e] of Object.entries(CATALOGUE)) if (k.startsWith('chat.en.')) english.set(e[0], k);
  }
  const key = english.get(en);
  if (key) return t(key, vars);
  if (!warned.has(en)) {
    warned.add(en);
    console.warn(`i18n: no string for ${JSON.stringify(en)}`);
  }
  return vars ? en.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k]))) : en;
}

export function fmtNum(n) {
  return Number(n || 0).toLocaleString(t('locale'));
}

export function applyDom(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-html]')) el.innerHTML = t(el.dataset.i18nHtml);
  // Elements written in English: data-i18n-en (the text) and
  // data-i18n-en-attr="attr:English words;…".
  for (const el of root.querySelectorAll('[data-i18n-en]')) {
    if (!el.dataset.i18nEn) el.dataset.i18nEn = el.textContent.trim();
    el.textContent = byEnglish(el.dataset.i18nEn);
  }
  for (const el of root.querySelectorAll('[data-i18n-en-attr]')) {
    for (const pair of el.dataset.i18nEnAttr.split(';')) {
      const i = pair.indexOf(':');
      if (i > 0) el.setAttribute(pair.slice(0, i).trim(), byEnglish(pair.slice(i + 1).trim()));
    }
  }
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

export function setLang(l) {
  if (!LANGS.includes(l)) return;
  lang = l;
  try {
    localStorage.setItem(LANG_KEY, l);
  } catch {
    // storage may be off: the choice lasts for this page
  }
  applyDom();
  for (const fn of listeners) fn(l);
}

export function onLangChange(fn) {
  listeners.push(fn);
}

// bindLangSwitch wires the page's language buttons ([data-lang]): a click
// switches, the pressed one is marked, relabel redraws what the page wrote
// itself in the old language; the page's static strings are applied now.
export function bindLangSwitch(relabel) {
  const mark = () => {
    for (const b of document.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
  };
  for (const b of document.querySelectorAll('[data-lang]')) b.onclick = () => setLang(b.dataset.lang);
  onLangChange(() => {
    mark();
    relabel();
  });
  applyDom();
  mark();
}

// keys lists every key of the catalogue (the tests check both languages).
export const keys = () => Object.keys(CATALOGUE);
