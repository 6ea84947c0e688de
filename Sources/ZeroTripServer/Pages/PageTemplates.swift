/// The Mustache templates of the people-facing pages and their style sheet.
///
/// Compiled into the binary rather than read from a resource bundle: an operator copies one `zerotrip` executable
/// to a server, and a page that cannot find its template must never be how a citizen learns that. `{{x}}` escapes
/// HTML; the only `{{{x}}}` is the QR code's SVG, which the server draws itself.
enum PageTemplates {
    static let all: [String: String] = [
        "layout": layout, "login": login, "code": code, "home": home, "document": document, "credit": credit,
        "messages": messages, "access": access, "consents": consents, "ratings": ratings, "figures": figures, "needs": needs, "points": points,
        "notice": notice,
        "window-login": windowLogin, "window-home": windowHome, "window-person": windowPerson, "window-application": windowApplication,
        "window-list": windowList, "window-card": windowCard, "window-points": windowPoints, "window-complaints": windowComplaints,
        "window-statistics": windowStatistics, "handoff": handoff,
    ]

    static let layout = """
        <!DOCTYPE html>
        <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex"><title>{{title}} · {{district}}政务服务</title>
        <link rel="stylesheet" href="/static/zerotrip.css"></head>
        <body><header class="top"><div class="district">{{district}}人民政府 · 零跑腿政务服务</div><div class="service">{{service}}</div></header>
        {{#signedIn}}<nav class="tabs"><a href="/my/"{{#tabResults}} aria-current="page"{{/tabResults}}>我的文书</a><a href="/my/credit"{{#tabCredit}} aria-current="page"{{/tabCredit}}>信用与承诺</a><a href="/my/messages"{{#tabMessages}} aria-current="page"{{/tabMessages}}>消息</a><a href="/my/consents"{{#tabConsents}} aria-current="page"{{/tabConsents}}>授权</a><a href="/my/points"{{#tabPoints}} aria-current="page"{{/tabPoints}}>积分</a><a href="/my/ratings"{{#tabRatings}} aria-current="page"{{/tabRatings}}>评价</a><a href="/my/access"{{#tabAccess}} aria-current="page"{{/tabAccess}}>查阅记录</a></nav>{{/signedIn}}
        {{#window}}<nav class="tabs"><a href="/window/"{{#tabLookup}} aria-current="page"{{/tabLookup}}>查询办事人</a><a href="/window/applications"{{#tabApplications}} aria-current="page"{{/tabApplications}}>办件</a><a href="/window/obligations"{{#tabObligations}} aria-current="page"{{/tabObligations}}>待补材料</a><a href="/window/points"{{#tabPoints}} aria-current="page"{{/tabPoints}}>积分审核</a><a href="/window/complaints"{{#tabComplaints}} aria-current="page"{{/tabComplaints}}>投诉</a>{{#canStatistics}}<a href="/window/statistics"{{#tabStatistics}} aria-current="page"{{/tabStatistics}}>统计</a>{{/canStatistics}}</nav>{{/window}}
        <main><h1>{{title}}</h1>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{$content}}{{/content}}
        {{#window}}<form class="logout" method="post" action="/window/logout"><input type="hidden" name="csrf" value="{{csrf}}"><span>{{departmentName}} · {{station}} · {{clerkName}}（{{clerkId}}）</span><button type="submit">退出</button></form>{{/window}}
        {{#signedIn}}<form class="logout" method="post" action="/my/logout"><input type="hidden" name="csrf" value="{{csrf}}"><span>{{person}} · 认证等级 {{tier}}</span><button type="submit">退出登录</button></form>{{/signedIn}}
        </main>
        <footer>{{district}}电子政务服务 · 请确认地址栏为本区政务网址，谨防仿冒 · 时间均为北京时间</footer></body></html>
        """

    static let login = """
        {{<layout}}{{$content}}
        <p>输入身份证号码和姓名。与户籍登记一致时，我们会向登记的手机号发送验证码。</p>
        <form method="post" action="/my/login" class="card">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="idNumber">身份证号码</label><input id="idNumber" name="idNumber" autocomplete="off" inputmode="text" maxlength="18" required value="{{idNumber}}">
        <label for="name">姓名</label><input id="name" name="name" autocomplete="name" maxlength="30" required value="{{name}}">
        <button type="submit">获取验证码</button>
        </form>
        <p class="note">短信验证只能证明手机号属于本人（认证等级 1）：可查看和下载自己的文书。查看信用与签署承诺需要等级 2：请在线视频核验或到任一窗口刷身份证。</p>
        {{/content}}{{/layout}}
        """

    static let code = """
        {{<layout}}{{$content}}
        <p>{{message}}</p>
        <form method="post" action="/my/login/code" class="card">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="code">短信验证码（6 位数字）</label><input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" maxlength="6" required>
        <button type="submit">登录</button>
        </form>
        <p><a href="/my/login">重新输入身份证号码</a></p>
        {{/content}}{{/layout}}
        """

    static let home = """
        {{<layout}}{{$content}}
        {{#hasDocuments}}<ul class="list">{{#documents}}
        <li><a href="/my/documents/{{id}}"><span class="name">{{matterName}}</span><span class="meta">{{department}} · {{issuedAt}}</span><span class="status {{statusClass}}">{{status}}</span></a></li>
        {{/documents}}</ul>{{/hasDocuments}}
        {{^hasDocuments}}<p class="empty">还没有签发给您的电子文书。办结的事项会出现在这里。</p>{{/hasDocuments}}
        {{/content}}{{/layout}}
        """

    static let document = """
        {{<layout}}{{$content}}
        <p class="status {{statusClass}} big">{{status}}</p>
        <table class="facts">{{#rows}}<tr><th>{{label}}</th><td>{{value}}</td></tr>{{/rows}}</table>
        {{#withheld}}<div class="card"><p>这份文书载有您的信用等级。查看内容、核验二维码和 PDF 原件需要认证等级 {{withheld}}，您当前是等级 {{tier}}。</p>
        <p>提升方法：① 在线视频核验（工作人员核对本人后即可）；② 到任一政务服务窗口刷身份证，窗口会给您一次性登录码。</p></div>{{/withheld}}
        {{^withheld}}<figure class="qr">{{{qrSVG}}}<figcaption>在窗口或自助机出示此二维码，对方扫码即可核验原件内容</figcaption></figure>
        <p><a class="button" href="/my/documents/{{id}}/pdf">下载 PDF 原件</a></p>{{/withheld}}
        <p class="note">PDF 带有{{department}}的电子印章，任何部门都可扫码或上传核验；请勿修改文件，修改后核验将不通过。</p>
        <p><a href="/my/">返回我的文书</a></p>
        {{/content}}{{/layout}}
        """

    static let credit = """
        {{<layout}}{{$content}}
        {{#stepUp}}<div class="card"><p>查看信用等级和签署承诺需要认证等级 2，您当前是等级 {{tier}}。</p>
        <p>提升方法：① 在线视频核验（工作人员核对本人后即可）；② 到任一政务服务窗口刷身份证，窗口会给您一次性登录码。</p></div>{{/stepUp}}
        {{#assessment}}<p class="level">信用等级 <strong>{{level}}</strong></p><p>{{levelText}}</p><p class="note">评价时间 {{asOf}}，依据信用规则第 {{policyVersion}} 版。</p>{{/assessment}}
        {{#hasPending}}<h2>待签署的信用承诺</h2>{{#pending}}<div class="card"><p><strong>{{matterName}}</strong>（{{department}}受理，容缺办理）</p><p>{{text}}</p>
        <form method="post" action="/my/applications/{{id}}/commitment"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">我已阅读并签署承诺</button></form></div>{{/pending}}{{/hasPending}}
        {{#hasCommitments}}<h2>待履行的承诺</h2><ul class="list">{{#commitments}}
        <li><div><span class="name">{{matterName}}</span><span class="meta">需补交：{{items}}</span><span class="meta">截止 {{deadline}}</span><span class="status {{statusClass}}">{{state}}</span></div></li>
        {{/commitments}}</ul>{{/hasCommitments}}
        {{#noCommitments}}<p class="empty">没有待履行的承诺。</p>{{/noCommitments}}
        {{/content}}{{/layout}}
        """

    static let messages = """
        {{<layout}}{{$content}}
        {{#hasMessages}}<ul class="list">{{#messages}}<li><div><span class="meta">{{createdAt}}</span><span>{{message}}</span></div></li>{{/messages}}</ul>{{/hasMessages}}
        {{^hasMessages}}<p class="empty">没有消息。办理进度、补交材料提醒和结果通知会出现在这里。</p>{{/hasMessages}}
        {{/content}}{{/layout}}
        """

    static let access = """
        {{<layout}}{{$content}}
        <p>以下是其他部门和公众查看您的数据的记录，取自不可篡改的审计日志。有疑问可向区政务服务管理局反映。</p>
        {{#hasAccesses}}<ul class="list">{{#accesses}}<li><div><span class="meta">{{at}}</span><span class="name">{{who}}</span><span>{{what}}</span></div></li>{{/accesses}}</ul>{{/hasAccesses}}
        {{^hasAccesses}}<p class="empty">还没有人查看过您的数据。</p>{{/hasAccesses}}
        {{/content}}{{/layout}}
        """

    static let consents = """
        {{<layout}}{{$content}}
        <p>授权后，办理事项的部门可直接调用您在其他部门的电子证照，您不必再提交纸质材料。每次调用都记在“谁查看了我的数据”里；授权可随时撤回。</p>
        {{#hasMatters}}<form method="post" action="/my/consents" class="card">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="matter">为哪个事项授权</label><select id="matter" name="matter" required>{{#matters}}<option value="{{code}}">{{name}}（{{department}}；可调用：{{results}}）</option>{{/matters}}</select>
        <label for="days">授权期限</label><select id="days" name="days"><option value="" selected>本次办件办结为止（30 日内未用于办件则失效）</option><option value="30">30 天</option><option value="90">90 天</option><option value="365">365 天</option></select>
        <button type="submit">同意授权</button>
        </form>{{/hasMatters}}
        {{#hasGrants}}<h2>我的授权</h2><ul class="list">{{#grants}}
        <li><div><span class="name">{{matterName}}</span><span class="meta">{{department}} 可调用：{{results}}</span><span class="meta">{{grantedAt}} 起，{{until}}（{{channel}}）</span>
        <span class="status {{statusClass}}">{{status}}</span>
        {{#live}}<form method="post" action="/my/consents/{{id}}/withdraw"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">撤回授权</button></form>{{/live}}</div></li>
        {{/grants}}</ul>{{/hasGrants}}
        {{^hasGrants}}<p class="empty">您还没有授权任何部门调用您的电子证照。</p>{{/hasGrants}}
        {{/content}}{{/layout}}
        """

    static let ratings = """
        {{<layout}}{{$content}}
        <p>每项办结的申请和每次窗口服务（咨询、预审、领证等）可评价一次（30 天内）。评价记入办理部门和服务窗口，各部门的排名公开在<a href="/figures">服务评价排行</a>。</p>
        {{#pending}}<form method="post" action="/my/ratings/{{id}}" class="card"><input type="hidden" name="csrf" value="{{csrf}}">
        <p><span class="name">{{matterName}}</span></p><p class="meta">{{department}} · {{outcome}} · 请在 {{closesAt}} 前评价</p>
        <fieldset><legend>满意程度</legend>{{#scores}}<label class="check"><input type="radio" name="score" value="{{value}}" required> {{label}}</label>{{/scores}}</fieldset>
        <fieldset><legend>印象（可多选）</legend>{{#tags}}<label class="check"><input type="checkbox" name="t_{{value}}" value="1"> {{label}}</label>{{/tags}}</fieldset>
        <label for="c_{{id}}">意见和建议（可不填，200 字以内）</label><textarea id="c_{{id}}" name="comment" maxlength="200" rows="3"></textarea>
        <button type="submit">提交评价</button></form>{{/pending}}
        {{#hasDone}}<h2>已评价</h2><ul class="list">{{#done}}<li><div><span class="name">{{matterName}}</span><span class="meta">{{department}} · {{ratedAt}}</span><span>{{stars}}</span><span class="meta">{{tagText}}</span></div></li>{{/done}}</ul>{{/hasDone}}
        {{^hasAny}}<p class="empty">还没有可评价的服务。办件办结后，这里会邀请您评价。</p>{{/hasAny}}
        <h2>投诉</h2>
        {{#complaints}}<div class="card"><p><span class="name">{{department}} · {{cause}}</span></p><p class="meta">{{source}} · {{filedAt}} · {{state}}</p>
        {{#text}}<p>{{text}}</p>{{/text}}{{#reply}}<p><strong>答复（{{finding}}，{{answeredAt}}）：</strong>{{reply}}</p>{{/reply}}</div>{{/complaints}}
        <form method="post" action="/my/complaints" class="card"><input type="hidden" name="csrf" value="{{csrf}}">
        <label for="cdep">投诉的部门</label><select id="cdep" name="department">{{#departments}}<option value="{{code}}">{{name}}</option>{{/departments}}</select>
        <label for="ccause">问题类型</label><select id="ccause" name="cause">{{#causes}}<option value="{{value}}">{{label}}</option>{{/causes}}</select>
        <label for="ctext">情况说明（500 字以内）</label><textarea id="ctext" name="text" maxlength="500" rows="4" required></textarea>
        <p class="note">办理部门须在 {{answerDays}} 个工作日内核实并答复您。评价为 1–2 星的服务也会转给部门回访核实。</p>
        <button type="submit">提交投诉</button></form>
        <p><a href="/my/needs">说说您今后几年需要的服务（入学、住房、落户、创业贷款）</a></p>
        {{/content}}{{/layout}}
        """

    static let needs = """
        {{<layout}}{{$content}}
        <p>告诉我们您今后几年需要哪些服务（如子女入学、公共租赁住房），区里据此提前安排学位、房源和资金。只统计人数，不对外公开个人信息。</p>
        <form method="post" action="/my/needs" class="card"><input type="hidden" name="csrf" value="{{csrf}}">
        <label for="kind">需要的服务</label><select id="kind" name="kind">{{#kinds}}<option value="{{value}}">{{label}}</option>{{/kinds}}</select>
        <fieldset><legend>哪一年需要（可多选）</legend>{{#years}}<label class="check"><input type="checkbox" name="y_{{year}}" value="1"> {{year}} 年</label>{{/years}}</fieldset>
        <label for="detail">说明（选“其他”时必填，200 字以内）</label><textarea id="detail" name="detail" maxlength="200" rows="2"></textarea>
        <button type="submit">提交</button></form>
        {{#hasStated}}<h2>已登记的需求</h2><ul class="list">{{#stated}}<li><div><span class="name">{{year}} 年 · {{kind}}</span>{{#hasDetail}}<span class="meta">{{detail}}</span>{{/hasDetail}}</div></li>{{/stated}}</ul>{{/hasStated}}
        {{/content}}{{/layout}}
        """

    static let points = """
        {{<layout}}{{$content}}
        {{^hasScheme}}<p class="empty">本区尚未发布积分方案。</p>{{/hasScheme}}
        {{#hasScheme}}<p>{{scheme}}：每月初系统根据各部门已有的数据（电子证照、信用、户籍登记）自动为您赋分，不用提交材料；学历、技能等需要证明的项目，可在下面申报，由审核部门确认后计入下次赋分。</p>
        {{#hasScore}}<div class="card"><p class="meta">{{asOf}}赋分 · 积分规则第 {{policyVersion}} 版 · 第 {{runID}} 批</p>{{^hasWithheld}}<p class="total">合计 <strong>{{total}}</strong></p>{{/hasWithheld}}
        {{#hasWithheld}}<p class="note">“{{withheld}}”由信用等级得出，需认证等级 {{creditTier}}（在线视频核验或到窗口刷身份证）后才显示，合计分也一并隐藏。</p>{{/hasWithheld}}
        <ul class="list">{{#items}}<li><div><span class="name">{{name}}：{{points}} 分</span><span class="meta">{{value}}（{{basis}}{{#capped}}，已达上限{{/capped}}）</span><span class="meta">依据：{{#sources}}{{#link}}<a href="{{link}}">{{text}}</a>{{/link}}{{^link}}{{text}}{{/link}} {{/sources}}</span></div></li>{{/items}}</ul>
        {{^hasWithheld}}<form method="post" action="/my/points/certificate"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">开具{{certificateMatter}}（电子签章）</button></form>{{/hasWithheld}}
        {{#hasWithheld}}<p class="note">{{certificateMatter}}载有全部积分项目，开具需认证等级 {{creditTier}}。</p>{{/hasWithheld}}</div>
        {{#hasDisputable}}<details class="card"><summary>对某一项分数有异议？申请复核</summary><form method="post" action="/my/points/disputes"><input type="hidden" name="csrf" value="{{csrf}}">
        <label for="d_indicator">项目</label><select id="d_indicator" name="indicator">{{#disputable}}<option value="{{indicator}}">{{name}}</option>{{/disputable}}</select>
        <label for="d_reason">理由（200 字以内）</label><textarea id="d_reason" name="reason" maxlength="200" rows="2" required></textarea>
        <button type="submit">申请复核</button><p class="note">每项可复核一次，由另一位审核人员办理。</p></form></details>{{/hasDisputable}}{{/hasScore}}
        {{^hasScore}}<p class="empty">您还没有积分：系统每月初为所有登记人员自动赋分，下次赋分后这里会显示您的分数和依据。</p>{{/hasScore}}
        {{#hasClaimable}}<h2>申报需要证明的项目</h2>{{#claimable}}<form method="post" action="/my/points/claims" enctype="multipart/form-data" class="card"><input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="indicator" value="{{indicator}}"><p><span class="name">{{name}}</span></p><p class="meta">由{{department}}审核</p>
        <label for="o_{{indicator}}">申报</label><select id="o_{{indicator}}" name="option">{{#options}}<option value="{{name}}">{{name}}（{{points}} 分）</option>{{/options}}</select>
        <label for="s_{{indicator}}">说明（如毕业院校、证书编号，200 字以内）</label><textarea id="s_{{indicator}}" name="statement" maxlength="200" rows="2"></textarea>
        <label for="e_{{indicator}}">证明材料（拍照或 PDF，{{evidenceKiB}} KB 以内）</label><input id="e_{{indicator}}" type="file" name="evidence" accept="application/pdf,image/jpeg,image/png">
        <button type="submit">提交申报</button></form>{{/claimable}}{{/hasClaimable}}
        {{#hasClaims}}<h2>我的申报</h2><ul class="list">{{#claims}}<li><div><span class="name">{{name}}：{{option}}</span><span class="meta">{{submittedAt}} 提交 · {{department}} · <strong>{{status}}</strong>{{#reason}}（{{reason}}）{{/reason}}</span>
        {{#disputable}}<form method="post" action="/my/points/disputes"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="indicator" value="{{indicator}}"><input type="hidden" name="claim" value="{{id}}">
        <label for="r_{{id}}">对审核结果有异议（理由）</label><textarea id="r_{{id}}" name="reason" maxlength="200" rows="2" required></textarea><button type="submit">申请复核</button></form>{{/disputable}}</div></li>{{/claims}}</ul>{{/hasClaims}}
        {{#hasDisputes}}<h2>我的复核</h2><ul class="list">{{#disputes}}<li><div><span class="name">{{name}}（原 {{disputed}} 分）</span><span class="meta">{{filedAt}} 申请 · <strong>{{outcome}}</strong>{{#reason}}（{{reason}}）{{/reason}}</span></div></li>{{/disputes}}</ul>{{/hasDisputes}}
        {{/hasScheme}}
        {{/content}}{{/layout}}
        """

    static let figures = """
        {{<layout}}{{$content}}
        <p>近 {{days}} 天（{{from}} 至 {{to}}）群众对办结服务的评价共 {{count}} 条，全区平均 {{mean}} 分（满分 5 分）。</p>
        {{#hasDepartments}}<ul class="list">{{#departments}}<li><div><span class="name">第 {{rank}} 名 · {{name}}</span><span>综合得分 <strong>{{weighted}}</strong></span><span class="meta">平均 {{mean}} 分 · {{count}} 条评价 · 差评 {{poor}} 条</span></div></li>{{/departments}}</ul>{{/hasDepartments}}
        {{^hasDepartments}}<p class="empty">这段时间还没有评价。</p>{{/hasDepartments}}
        <p class="note">综合得分 =（{{prior}} × 全区平均分 + 该部门各条评分之和）÷（{{prior}} + 该部门评价条数）：评价少的部门接近全区平均，评价多的以本部门评价为准。差评指 1–2 分。</p>
        <h2>审查用时</h2>
        {{#hasReviews}}<ul class="list">{{#reviews}}<li><div><span class="name">{{name}}</span><span>平均 <strong>{{mean}}</strong> 个工作日（办结 {{reviewed}} 件）</span><span class="meta">正在审查 {{waiting}} 件{{#hasStalled}}，其中超过 {{stallDays}} 个工作日 {{stalled}} 件{{/hasStalled}}</span></div></li>{{/reviews}}</ul>{{/hasReviews}}
        {{^hasReviews}}<p class="empty">这段时间没有审查中的或办结的办件。</p>{{/hasReviews}}
        <p class="note">审查用时按工作日计，从开始审查到批准或不予批准；审查超过 {{stallDays}} 个工作日的办件会提醒审查人并报部门负责人督办。</p>
        <h2>每月受理量</h2>
        <p>近 12 个月共受理 {{yearTotal}} 件。</p>
        <figure class="qr">{{{chart}}}</figure>
        {{/content}}{{/layout}}
        """

    static let notice = """
        {{<layout}}{{$content}}
        <p>{{message}}</p>
        {{#retryAfter}}<p class="note">请 {{retryAfter}} 秒后再试。</p>{{/retryAfter}}
        <p><a href="{{back}}">{{backText}}</a></p>
        {{/content}}{{/layout}}
        """

    static let windowLogin = """
        {{<layout}}{{$content}}
        <p>窗口工作人员用本部门的接口凭证登录，并填写本人工号、姓名和窗口号：此后本窗口的每一步操作都记录在您的名下。</p>
        <form method="post" action="/window/login" class="card">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="credential">部门凭证</label><input id="credential" name="credential" type="password" autocomplete="off" maxlength="200" required>
        <label for="clerkId">工号</label><input id="clerkId" name="clerkId" autocomplete="off" maxlength="32" required value="{{clerkId}}">
        <label for="clerkName">姓名</label><input id="clerkName" name="clerkName" maxlength="30" required value="{{clerkName}}">
        <label for="station">窗口</label><input id="station" name="station" maxlength="40" required value="{{station}}" placeholder="如：3号窗口">
        <button type="submit">登录</button>
        </form>
        {{/content}}{{/layout}}
        """

    static let windowHome = """
        {{<layout}}{{$content}}
        <form method="get" action="/window/person" class="card">
        <label for="idNumber">身份证号码（手输或读卡）</label><input id="idNumber" name="idNumber" autocomplete="off" maxlength="18" required>
        <label for="matter">办理事项</label><select id="matter" name="matter">{{#matters}}<option value="{{code}}">{{name}}（{{code}}）</option>{{/matters}}</select>
        <button type="submit">查询</button>
        </form>
        {{^matters}}<p class="note">本部门在事项目录中还没有事项。</p>{{/matters}}
        {{/content}}{{/layout}}
        """

    static let windowPerson = """
        {{<layout}}{{$content}}
        <table class="facts"><tr><th>姓名</th><td><strong>{{name}}</strong>（请与本人及证件核对）</td></tr><tr><th>身份证号码</th><td>{{idMasked}}</td></tr>
        <tr><th>身份核验</th><td>{{assurance}}</td></tr><tr><th>办理事项</th><td>{{matterName}}</td></tr></table>
        <div class="card"><p class="level">信用等级 <strong>{{level}}</strong></p><p>{{levelText}}</p>
        {{#trust}}<p class="status ok big">可以容缺受理</p><p>以下次要材料可以先缺后补（{{deadlineDays}} 天内补齐）：{{deferrable}}。申请人须当场签署信用承诺；逾期未补，结果将被撤销并记入信用。</p>{{/trust}}
        {{^trust}}<p class="status warn big">不能容缺受理</p><p>{{refusal}}</p><p>请按常规办理：收齐全部材料后受理。</p>{{/trust}}
        <p class="note">评价时间 {{asOf}}，信用规则第 {{policyVersion}} 版。本次查询已记录，申请人可在“谁查看了我的数据”中看到。</p></div>
        <details class="card"><summary>读卡核验身份（人证比对，认证等级 3）</summary>
        <form method="post" action="/window/person/card"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="idNumber" value="{{idNumber}}"><input type="hidden" name="name" value="{{name}}"><input type="hidden" name="matter" value="{{matter}}">
        <label for="cardFrom">证件有效期起（读卡）</label><input id="cardFrom" name="validFrom" maxlength="10" placeholder="YYYY-MM-DD" required>
        <label for="cardUntil">证件有效期止（读卡）</label><input id="cardUntil" name="validUntil" maxlength="10" placeholder="YYYY-MM-DD 或 长期" required>
        <label class="check"><input type="checkbox" name="faceMatched" value="1"> 人证比对一致</label>
        <button type="submit">核验并生成手机登录码</button></form></details>
        {{#reuse}}<div class="card"><h2>调用电子证照（免交纸质材料）</h2><p class="note">可用电子证照代替的材料：{{acceptedText}}</p>
        {{#granted}}<p class="status ok">{{grantText}}</p>{{#reuseScopeMissing}}<p class="note">本部门凭证没有调用电子证照的权限（documents:reuse），请收取纸质材料。</p>{{/reuseScopeMissing}}{{/granted}}
        {{^granted}}<p>办事人尚未授权本部门为本事项调用其电子证照。办事人可在手机“授权”页授权，或经身份核验后由您记录窗口授权。</p>
        {{#hasConsentAssurance}}<form method="post" action="/window/consents"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="idNumber" value="{{idNumber}}"><input type="hidden" name="matter" value="{{matter}}"><input type="hidden" name="assuranceId" value="{{consentAssurance}}">
        <button type="submit">办事人同意：记录窗口授权（至本次办件办结）</button></form>{{/hasConsentAssurance}}
        {{^hasConsentAssurance}}<p class="note">记录窗口授权前，请先读卡核验办事人身份（30 分钟内有效）。</p>{{/hasConsentAssurance}}{{/granted}}</div>{{/reuse}}
        <h2>受理申请</h2>
        <form method="post" action="/window/applications" class="card">
        <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="idNumber" value="{{idNumber}}"><input type="hidden" name="name" value="{{name}}"><input type="hidden" name="matter" value="{{matter}}">
        <fieldset><legend>已收到的材料</legend>{{#materials}}<label class="check"><input type="checkbox" name="m_{{code}}" value="1"> {{name}}{{#primary}}（主要材料，必须提供）{{/primary}}{{#trustEligible}}（可容缺）{{/trustEligible}}</label>{{/materials}}</fieldset>
        {{#reuseMaterials}}<label for="d_{{code}}">{{name}}：电子证照</label><select id="d_{{code}}" name="d_{{code}}"><option value="">不使用（收取纸质材料）</option>{{#options}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}</select>{{#none}}<p class="note">办事人没有可用的有效电子证照。</p>{{/none}}{{/reuseMaterials}}
        <fieldset><legend>办理方式</legend><label class="check"><input type="radio" name="mode" value="standard" checked> 常规受理（材料齐全）</label>
        {{#trust}}<label class="check"><input type="radio" name="mode" value="trust"> 容缺受理（先出结果，后补材料）</label>{{/trust}}</fieldset>
        <button type="submit">提交申请</button>
        </form>
        <h2>无需受理的服务</h2>
        <form method="post" action="/window/person/served" class="card">
        <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="idNumber" value="{{idNumber}}"><input type="hidden" name="matter" value="{{matter}}">
        <label for="service">本次服务</label><select id="service" name="service">{{#windowServices}}<option value="{{value}}">{{label}}</option>{{/windowServices}}</select>
        <p class="note">办事人离开窗口时点击：系统向办事人发送服务评价邀请，评价记入本窗口（每位办事人每天一次）。</p>
        <button type="submit">服务结束，邀请评价</button>
        </form>
        {{/content}}{{/layout}}
        """

    static let windowApplication = """
        {{<layout}}{{$content}}
        <p class="status {{stateClass}} big">{{state}}</p>
        <table class="facts"><tr><th>申请人</th><td>{{applicant}}</td></tr><tr><th>事项</th><td>{{matterName}}</td></tr><tr><th>办理方式</th><td>{{mode}}</td></tr>
        <tr><th>受理期限</th><td>{{timeLimit}}</td></tr><tr><th>材料</th><td>{{#materials}}<div>{{#provided}}✔{{/provided}}{{^provided}}✘{{/provided}} {{name}}</div>{{/materials}}</td></tr>
        {{#obligation}}<tr><th>待补材料</th><td>{{items}}，截止 {{deadline}}{{#overdue}}（已逾期）{{/overdue}}</td></tr>{{/obligation}}
        {{#document}}<tr><th>结果文书</th><td><a href="{{link}}">{{number}}</a></td></tr>{{/document}}</table>
        {{#commitmentText}}<div class="card"><h2>信用承诺书（请打印，由申请人签字）</h2><p>{{commitmentText}}</p>
        {{#needsSignature}}<p>申请人刷身份证并经人脸比对后，在系统中确认签署：</p>
        <form method="post" action="/window/applications/{{id}}/commit"><input type="hidden" name="csrf" value="{{csrf}}">
        <label for="validFrom">证件有效期起（读卡）</label><input id="validFrom" name="validFrom" maxlength="10" placeholder="YYYY-MM-DD" required>
        <label for="validUntil">证件有效期止（读卡）</label><input id="validUntil" name="validUntil" maxlength="10" placeholder="YYYY-MM-DD 或 长期" required>
        <label class="check"><input type="checkbox" name="faceMatched" value="1"> 人证比对一致</label>
        <button type="submit">确认签署承诺</button></form>{{/needsSignature}}
        {{#signed}}<p class="status ok">已签署（认证等级 {{signedTier}}）</p>{{/signed}}</div>{{/commitmentText}}
        {{#canAccept}}<form method="post" action="/window/applications/{{id}}/accept" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">受理</button></form>{{/canAccept}}
        {{#canReview}}<form method="post" action="/window/applications/{{id}}/review" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">开始审查</button></form>{{/canReview}}
        {{#canApprove}}<form method="post" action="/window/applications/{{id}}/approve" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">批准</button></form>
        <form method="post" action="/window/applications/{{id}}/reject" class="card"><input type="hidden" name="csrf" value="{{csrf}}"><label for="reason">不予批准的理由</label><input id="reason" name="reason" maxlength="200" required><button type="submit">不予批准</button></form>{{/canApprove}}
        {{#canIssue}}<form method="post" action="/window/applications/{{id}}/issue" class="card"><input type="hidden" name="csrf" value="{{csrf}}"><h2>出具结果：{{resultTitle}}</h2>
        {{#resultFields}}<label for="f{{index}}">{{label}}</label><input id="f{{index}}" name="f_{{index}}" maxlength="200" required>{{/resultFields}}<button type="submit">签发电子文书</button></form>{{/canIssue}}
        {{#canFulfil}}<form method="post" action="/window/applications/{{id}}/fulfil" class="card"><input type="hidden" name="csrf" value="{{csrf}}"><h2>补交材料</h2>
        {{#missing}}<label class="check"><input type="checkbox" name="m_{{code}}" value="1"> {{name}}</label>{{/missing}}<button type="submit">登记已收到</button></form>{{/canFulfil}}
        <p><a href="/window/applications">返回办件列表</a></p>
        {{/content}}{{/layout}}
        """

    static let windowList = """
        {{<layout}}{{$content}}
        {{#hasRows}}<ul class="list">{{#rows}}<li><a href="/window/applications/{{id}}"><span class="name">{{applicant}} · {{matterName}}</span><span class="meta">{{detail}}</span><span class="status {{stateClass}}">{{state}}</span></a></li>{{/rows}}</ul>{{/hasRows}}
        {{^hasRows}}<p class="empty">{{empty}}</p>{{/hasRows}}
        {{/content}}{{/layout}}
        """

    static let windowPoints = """
        {{<layout}}{{$content}}
        <p class="note">以工号 {{clerkId}} 审核：须是本部门登记的审核人员或主管（由本部门管理员登记）。每份申报、每项复核只审核一次；复核不由原审核人办理。</p>
        <h2>待审核的积分申报（{{claimCount}}）</h2>
        {{#hasClaims}}{{#claims}}<div class="card"><p class="name">{{applicant}}（{{idMasked}}）· {{indicatorName}}：{{option}}</p>
        <p class="meta">提交于 {{submittedAt}}{{#statement}} · 说明：{{statement}}{{/statement}}</p>
        {{#evidence}}<p><a href="/window/points/claims/{{id}}/evidence">查看证明材料（{{evidence}}）</a></p>{{/evidence}}{{^evidence}}<p class="meta">未上传证明材料</p>{{/evidence}}
        <form method="post" action="/window/points/claims/{{id}}"><input type="hidden" name="csrf" value="{{csrf}}">
        <label for="r_{{id}}">审核意见（200 字以内）</label><textarea id="r_{{id}}" name="reason" maxlength="200" rows="2" required></textarea>
        <button type="submit" name="decision" value="approve">通过</button> <button type="submit" name="decision" value="reject" class="secondary">不通过</button></form></div>{{/claims}}{{/hasClaims}}
        {{^hasClaims}}<p class="empty">没有待审核的申报。</p>{{/hasClaims}}
        <h2>待办理的复核（{{disputeCount}}）</h2>
        {{#hasDisputes}}{{#disputes}}<div class="card"><p class="name">{{applicant}}（{{idMasked}}）· {{indicatorName}}：原 {{disputedPoints}} 分</p>
        <p class="meta">申请于 {{filedAt}} · 理由：{{reason}}{{#firstReviewer}} · 原审核：工号 {{firstReviewer}}{{/firstReviewer}}</p>
        <form method="post" action="/window/points/disputes/{{id}}"><input type="hidden" name="csrf" value="{{csrf}}">
        <label for="p_{{id}}">改为（分，留空则维持原分{{#cap}}，最高 {{cap}}{{/cap}}）</label><input id="p_{{id}}" name="points" inputmode="numeric" maxlength="5">
        <label for="d_{{id}}">复核意见（200 字以内）</label><textarea id="d_{{id}}" name="reason" maxlength="200" rows="2" required></textarea>
        <button type="submit">办结复核</button></form></div>{{/disputes}}{{/hasDisputes}}
        {{^hasDisputes}}<p class="empty">没有待办理的复核。</p>{{/hasDisputes}}
        {{/content}}{{/layout}}
        """

    static let windowComplaints = """
        {{<layout}}{{$content}}
        <p class="note">以工号 {{clerkId}} 答复：须是本部门登记的督办人员，被投诉的工作人员不答复对自己的投诉。每件投诉（含 1–2 星的差评）须在 {{answerDays}} 个工作日内回访核实并答复，答复只有一次；逾期未答复的，系统短信通知本部门督办人员。</p>
        <h2>待答复的投诉（{{count}}）</h2>
        {{#hasComplaints}}{{#complaints}}<div class="card"><p class="name">{{applicant}}（{{idMasked}}）· {{source}} · {{cause}}</p>
        <p class="meta">提交于 {{filedAt}} · {{#overdue}}<strong>已超过答复期限（{{dueAt}}）</strong>{{/overdue}}{{^overdue}}请于{{dueAt}}前答复{{/overdue}}{{#clerk}} · 被投诉工号 {{clerk}}{{/clerk}}</p>
        {{#text}}<p>{{text}}</p>{{/text}}
        <form method="post" action="/window/complaints/{{id}}"><input type="hidden" name="csrf" value="{{csrf}}">
        <label for="f_{{id}}">核实结果</label><select id="f_{{id}}" name="finding">{{#findings}}<option value="{{value}}">{{label}}</option>{{/findings}}</select>
        <label for="c_{{id}}">问题类型</label><select id="c_{{id}}" name="cause">{{#causes}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/causes}}</select>
        <label for="a_{{id}}">整改措施（内部记录，500 字以内）</label><textarea id="a_{{id}}" name="action" maxlength="500" rows="2" required></textarea>
        <label for="r_{{id}}">答复办事人（短信发送，500 字以内）</label><textarea id="r_{{id}}" name="reply" maxlength="500" rows="2" required></textarea>
        <button type="submit">答复并办结</button></form></div>{{/complaints}}{{/hasComplaints}}
        {{^hasComplaints}}<p class="empty">没有待答复的投诉。</p>{{/hasComplaints}}
        {{/content}}{{/layout}}
        """

    static let windowStatistics = """
        {{<layout}}{{$content}}
        <p class="periods">{{#periods}}{{#current}}<strong>近 {{days}} 天</strong>{{/current}}{{^current}}<a href="/window/statistics?days={{days}}">近 {{days}} 天</a>{{/current}} {{/periods}}</p>
        <h2>受理与办结</h2>
        <div class="scroll"><table class="facts grid"><tr><th>部门</th><th>受理</th><th>容缺占比</th><th>办结</th><th>不予批准</th><th>平均工作日</th><th>超时率</th><th>撤销</th></tr>
        {{#volumes}}<tr><td>{{name}}</td><td>{{submitted}}</td><td>{{trustShare}}</td><td>{{closed}}</td><td>{{rejected}}</td><td>{{handling}}</td><td>{{overdueRate}}</td><td>{{revoked}}</td></tr>{{/volumes}}</table></div>
        <p><a href="/window/statistics/volumes.csv?days={{days}}">下载 CSV</a></p>
        <figure class="qr">{{{monthlyChart}}}<figcaption>每月受理件数</figcaption></figure>
        <h2>审查时间</h2>
        <figure class="qr">{{{reviewChart}}}<figcaption>各部门平均审查工作日（超过 {{stallDays}} 个工作日督办）</figcaption></figure>
        <div class="scroll"><table class="facts grid"><tr><th>部门</th><th>已审结</th><th>审查中</th><th>超时待办</th></tr>{{#reviews}}<tr><td>{{name}}</td><td>{{reviewed}}</td><td>{{waiting}}</td><td>{{stalled}}</td></tr>{{/reviews}}</table></div>
        <p><a href="/window/statistics/reviews.csv?days={{days}}">下载 CSV</a></p>
        <h2>服务评价（{{ratingCount}} 条）</h2>
        <figure class="qr">{{{ratingChart}}}<figcaption>综合得分（加权平均，评价少的部门接近全区平均）</figcaption></figure>
        <p><a href="/window/statistics/ratings.csv?days={{days}}">下载 CSV（含各窗口工作人员）</a></p>
        <h2>投诉</h2>
        <figure class="qr">{{{causeChart}}}<figcaption>按问题类型</figcaption></figure>
        <div class="scroll"><table class="facts grid"><tr><th>部门</th><th>投诉</th><th>按期答复率（{{answerDays}} 个工作日）</th><th>属实</th><th>逾期未答复</th></tr>
        {{#complaints}}<tr><td>{{name}}</td><td>{{filed}}</td><td>{{inTime}}</td><td>{{substantiated}}</td><td>{{overdue}}</td></tr>{{/complaints}}</table></div>
        <p><a href="/window/statistics/complaints.csv?days={{days}}">下载 CSV</a> · <a href="/window/statistics/needs.csv">居民服务需求 CSV</a></p>
        {{/content}}{{/layout}}
        """

    static let windowCard = """
        {{<layout}}{{$content}}
        <p class="status ok big">身份已核验（认证等级 3）</p>
        <p>请申请人用手机扫描下方二维码，在手机上确认后即以等级 3 登录“我的办事”（{{minutes}} 分钟内有效，只能使用一次）。</p>
        <figure class="qr">{{{qrSVG}}}<figcaption>手机登录码 · {{name}}</figcaption></figure>
        <p class="note"><a href="{{link}}">{{link}}</a></p>
        <p><a href="/window/person?idNumber={{idNumber}}&amp;matter={{matter}}">返回办事人页面</a></p>
        {{/content}}{{/layout}}
        """

    static let handoff = """
        {{<layout}}{{$content}}
        <p>窗口工作人员已核验您的身份（刷身份证并人证比对）。确认后，本手机将以认证等级 3 登录，可查看信用、签署承诺。</p>
        <form method="post" action="/my/handoff" class="card"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="v" value="{{v}}"><input type="hidden" name="s" value="{{s}}">
        <button type="submit">确认登录</button></form>
        <p class="note">如果您不在政务服务窗口，请不要确认。</p>
        {{/content}}{{/layout}}
        """

    /// Phone first (320–430 px), large touch targets, no web fonts or outside resources.
    static let css = """
        *{box-sizing:border-box}
        body{font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f4f5f7;color:#1f2328;font-size:16px;line-height:1.5}
        .top{background:#b71c1c;color:#fff;padding:10px 16px}.top .district{font-size:13px;opacity:.9}.top .service{font-size:18px;font-weight:bold}
        .tabs{display:flex;flex-wrap:nowrap;overflow-x:auto;scrollbar-width:none;background:#fff;border-bottom:1px solid #ddd}
        .tabs a{flex:1 0 auto;white-space:nowrap;text-align:center;padding:12px 8px;color:#1f2328;text-decoration:none;min-height:44px;font-size:15px}
        .tabs a[aria-current=page]{color:#b71c1c;border-bottom:3px solid #b71c1c;font-weight:bold}
        main{max-width:640px;margin:0 auto;padding:16px}h1{font-size:22px;margin:8px 0 16px}h2{font-size:18px}
        .card{background:#fff;padding:16px;border-radius:8px;margin-bottom:16px}
        label{display:block;margin:12px 0 6px;color:#444}
        input{width:100%;font-size:18px;padding:10px;border:1px solid #bbb;border-radius:6px}
        button,.button{display:inline-block;margin-top:16px;min-height:44px;font-size:17px;padding:10px 24px;border:0;border-radius:6px;background:#b71c1c;color:#fff;text-decoration:none}
        .error{background:#fdecea;border-left:4px solid #b42318;padding:10px}
        .note{color:#666;font-size:14px}.empty{color:#666;background:#fff;padding:16px;border-radius:8px}
        .list{list-style:none;padding:0;margin:0}.list li{background:#fff;margin-bottom:8px;border-radius:8px}
        .list li>a,.list li>div{display:block;padding:12px 16px;color:inherit;text-decoration:none;min-height:44px}
        .list .name{display:block;font-weight:bold}.list .meta{display:block;color:#666;font-size:14px}
        .status{display:inline-block;font-size:14px;padding:2px 8px;border-radius:4px;background:#eee}
        .status.ok{background:#e6f4ea;color:#1a7f37}.status.bad{background:#fdecea;color:#b42318}.status.warn{background:#fff4e5;color:#9a6700}
        .status.big{font-size:20px;padding:6px 16px}
        .total{font-size:18px}.total strong{font-size:32px;color:#b71c1c}
        .facts{width:100%;border-collapse:collapse;background:#fff}.facts th,.facts td{padding:10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top;word-break:break-all}
        .facts th{width:34%;color:#666;font-weight:normal}.scroll{overflow-x:auto}.grid th{width:auto;white-space:nowrap}.grid td{word-break:normal;white-space:nowrap}
        .qr{background:#fff;margin:16px 0;padding:16px;text-align:center;border-radius:8px}.qr svg{width:100%;max-width:320px;height:auto}.qr svg.chart{max-width:560px}
        .qr figcaption{color:#666;font-size:14px;margin-top:8px}
        .level{font-size:20px}.level strong{font-size:32px;color:#b71c1c}
        .logout{margin-top:32px;display:flex;align-items:center;justify-content:space-between;gap:8px;color:#666;font-size:14px}
        .logout button{margin:0;background:#555;font-size:15px;padding:8px 16px}
        select{width:100%;font-size:18px;padding:10px;border:1px solid #bbb;border-radius:6px;background:#fff}
        textarea{display:block;width:100%;box-sizing:border-box;font-size:17px;padding:10px;border:1px solid #bbb;border-radius:6px;font-family:inherit;margin-bottom:12px}
        fieldset{border:0;padding:0;margin:16px 0 0}legend{color:#444;margin-bottom:6px}
        label.check{display:flex;align-items:center;gap:8px;margin:8px 0;min-height:44px}label.check input{width:auto;transform:scale(1.3)}
        form.inline{display:inline-block;margin-right:8px}details summary{cursor:pointer;min-height:44px;line-height:44px}
        footer{text-align:center;color:#888;font-size:12px;padding:24px 16px}
        """
}
