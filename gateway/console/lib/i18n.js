// Interface text in Chinese and English. t('key', {n: 3}) fills {n}; the language is kept per browser.
const TEXT = {
  en: {
    title: 'Opdomain · operating domain', tagline: 'public data, usable but invisible',
    signin: 'Sign in', signinProvider: 'Sign in with the identity provider', signout: 'Sign out', token: 'Bearer token', tokenHelp: 'Paste a bearer token (npm start prints one per demo user), or sign in with your identity provider.',
    notSignedIn: 'not signed in', language: '中文', skip: 'Skip to content',
    navQueue: 'Review queue', navAudit: 'Audit log', navTrace: 'Trace & replay', navJobs: 'Jobs & requests', navAdmin: 'Authorizations & people',
    state: 'State', risk: 'Risk', tenant: 'Tenant', age: 'Age', any: 'any', olderThan1h: 'older than 1 hour', olderThan1d: 'older than 1 day', newerThan1d: 'last 24 hours',
    refresh: 'Refresh', open: 'Open', id: 'ID', output: 'Output', scenario: 'Scenario', verdict: 'Verdict', requester: 'Requester', created: 'Created', approvals: 'Approvals',
    manifest: 'Declared outputs (manifest, JSON)', size_empty: 'empty', size_small: 'fewer than 10 rows', size_large: '10 rows or more',
    argument: 'The operator’s argument for an exception', provenance: 'Where each column came from', source: 'Source', fields: 'Catalog fields', role: 'Role',
    cellUnits: '{u} unit(s)', cellTop: 'largest units hold {s}', cellRules: 'flagged by {r}',
    request: 'Export request', checkReport: 'Check report', rule: 'Rule', reason: 'Reason', theOutput: 'The output', script: 'Script', lineage: 'Lineage',
    votes: 'Votes', votesHidden: '{n} vote(s) hidden until you cast yours', noVotes: 'No votes yet', comment: 'Comment', commentPlaceholder: 'What should change, or why', 
    approve: 'Approve', return: 'Return', reject: 'Reject', decided: 'Recorded: {d}', flagged: 'cells flagged by the check are highlighted', rowsShown: 'showing {n} of {m} rows',
    fixApplied: 'One-step fix applied: {n} cell(s) suppressed{r}', noOutput: 'Only reviewers, security staff and administrators see the output before release.',
    auditLog: 'Audit log', actor: 'User', kind: 'Kind', since: 'From', until: 'Until', filter: 'Filter', seq: 'Seq', at: 'Time', subject: 'Subject',
    checkProof: 'Check proof', proofOk: '✓ included in the signed tree of {size} entries', proofBad: '✗ proof failed: {p}',
    verifyLog: 'Verify the whole log', logOk: '✓ log verified: {n} entries, every checkpoint matches', logBad: '✗ log verification failed: {p}',
    trace: 'Trace', node: 'Node id (export, job, bundle, output, dataset …)', upstream: 'upstream', downstream: 'downstream', direction: 'Direction',
    replay: 'Replay a job', jobId: 'Job id', replayRun: 'Replay', match: 'MATCH', mismatch: 'MISMATCH',
    jobs: 'Jobs', env: 'Env', limits: 'Limit hit', outputs: 'Outputs', requestExport: 'Request export', myRequests: 'My export requests',
    suppressFix: 'Suppress small cells and revise', submit: 'Submit', resubmit: 'Resubmit', withdraw: 'Withdraw', returnedBy: 'Returned by {r}: “{c}”',
    runScript: 'Run a script', run: 'Run', dev: 'dev (sample)', prod: 'prod (full, quiet)',
    authorizations: 'Authorizations', org: 'Organisation', termEnd: 'Term ends', plan: 'Emergency plan', yes: 'yes', no: 'no', actions: 'Actions',
    people: 'People', name: 'Name', role: 'Role', verified: 'Verified', agreementUntil: 'Agreement until', mayAct: 'May act',
    suspend: 'Suspend', resume: 'Resume', terminate: 'Terminate', seal: 'Seal', destroy: 'Destroy', confirm: 'Confirm', cancel: 'Cancel',
    confirmAction: '{a} authorization {id}?', confirmDestroy: 'Destroy deletes the tenant\'s files and keys for good. Type the id to confirm: {id}',
    reasonLabel: 'Reason (recorded in the audit log)', markVerified: 'Mark verified', extendAgreement: 'Extend agreement 1 year', supervision: 'Supervision',
    done: 'Done', loading: 'Loading…', none: 'none',
  },
  zh: {
    title: 'Opdomain · 授权运营域', tagline: '公共数据 可用不可见',
    signin: '登录', signinProvider: '统一身份认证登录', signout: '退出', token: '令牌', tokenHelp: '粘贴令牌（npm start 为每位示例用户打印一个），或通过统一身份认证登录。',
    notSignedIn: '未登录', language: 'English', skip: '跳到内容',
    navQueue: '审核队列', navAudit: '审计日志', navTrace: '溯源与重放', navJobs: '作业与出域申请', navAdmin: '授权与人员',
    state: '状态', risk: '风险', tenant: '运营域', age: '时长', any: '全部', olderThan1h: '超过 1 小时', olderThan1d: '超过 1 天', newerThan1d: '最近 24 小时',
    refresh: '刷新', open: '查看', id: '编号', output: '产品数据', scenario: '应用场景', verdict: '结论', requester: '申请人', created: '创建时间', approvals: '同意',
    manifest: '声明的输出（清单，JSON）', size_empty: '空', size_small: '少于 10 行', size_large: '10 行及以上',
    argument: '运营单位的例外申请理由', provenance: '各列数据来源', source: '来源', fields: '目录字段', role: '角色',
    cellUnits: '{u} 个隐私单元', cellTop: '最大单元占比 {s}', cellRules: '触发规则：{r}',
    request: '出域申请', checkReport: '自动检查报告', rule: '规则', reason: '原因', theOutput: '产品数据', script: '脚本', lineage: '数据血缘',
    votes: '审核意见', votesHidden: '您表决之前，{n} 条他人意见不显示', noVotes: '尚无意见', comment: '意见', commentPlaceholder: '需要修改什么，或理由',
    approve: '同意', return: '退回', reject: '驳回', decided: '已记录：{d}', flagged: '检查标出的单元格已高亮', rowsShown: '显示 {n} / {m} 行',
    fixApplied: '已一键处理：抑制 {n} 个单元格{r}', noOutput: '发布前，仅审核人、安全人员和管理员可查看产品数据。',
    auditLog: '审计日志', actor: '用户', kind: '类型', since: '起', until: '止', filter: '筛选', seq: '序号', at: '时间', subject: '对象',
    checkProof: '校验证明', proofOk: '✓ 已包含在 {size} 条记录的签名树中', proofBad: '✗ 证明校验失败：{p}',
    verifyLog: '校验全部日志', logOk: '✓ 日志校验通过：{n} 条，所有检查点一致', logBad: '✗ 日志校验失败：{p}',
    trace: '溯源', node: '节点编号（申请、作业、数据包、产品、数据集…）', upstream: '上游', downstream: '下游', direction: '方向',
    replay: '重放作业', jobId: '作业编号', replayRun: '重放', match: '一致', mismatch: '不一致',
    jobs: '作业', env: '环境', limits: '触发限制', outputs: '产品数据', requestExport: '申请出域', myRequests: '我的出域申请',
    suppressFix: '抑制小单元格并修改', submit: '提交', resubmit: '重新提交', withdraw: '撤回', returnedBy: '{r} 退回：“{c}”',
    runScript: '运行脚本', run: '运行', dev: '开发（抽样）', prod: '生产（全量，静默）',
    authorizations: '授权', org: '运营单位', termEnd: '授权期限', plan: '应急预案', yes: '有', no: '无', actions: '操作',
    people: '人员', name: '账号', role: '角色', verified: '实名', agreementUntil: '保密协议至', mayAct: '可操作',
    suspend: '暂停', resume: '恢复', terminate: '终止', seal: '封存', destroy: '销毁', confirm: '确认', cancel: '取消',
    confirmAction: '{a}授权 {id}？', confirmDestroy: '销毁将永久删除该运营域的文件和密钥。输入编号以确认：{id}',
    reasonLabel: '理由（记入审计日志）', markVerified: '标记已实名', extendAgreement: '保密协议延长一年', supervision: '监管总览',
    done: '完成', loading: '加载中…', none: '无',
  },
};

let lang = localStorage.getItem('opdomain-lang') || ((navigator.language || '').startsWith('zh') ? 'zh' : 'en');

export function getLang() { return lang; }
export function setLang(l) { lang = l; localStorage.setItem('opdomain-lang', l); document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en'; }
export function t(key, vars = {}) {
  const s = (TEXT[lang] && TEXT[lang][key]) ?? TEXT.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}
export const KEYS = Object.keys(TEXT.en);
export const LANGS = TEXT;
