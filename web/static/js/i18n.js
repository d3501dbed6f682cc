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

export function fmtNum(n) {
  return Number(n || 0).toLocaleString(t('locale'));
}

export function applyDom(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-html]')) el.innerHTML = t(el.dataset.i18nHtml);
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

// keys lists every key of the catalogue (the tests check both languages).
export const keys = () => Object.keys(CATALOGUE);
