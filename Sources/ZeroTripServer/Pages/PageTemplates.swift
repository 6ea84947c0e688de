/// The Mustache templates of the people-facing pages and their style sheet.
///
/// Compiled into the binary rather than read from a resource bundle: an operator copies one `zerotrip` executable
/// to a server, and a page that cannot find its template must never be how a citizen learns that. `{{x}}` escapes
/// HTML; the only `{{{x}}}` is the QR code's SVG, which the server draws itself.
enum PageTemplates {
    static let all: [String: String] = [
        "layout": layout, "login": login, "code": code, "home": home, "document": document, "credit": credit,
        "messages": messages, "access": access, "notice": notice,
    ]

    static let layout = """
        <!DOCTYPE html>
        <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex"><title>{{title}} · {{district}}政务服务</title>
        <link rel="stylesheet" href="/static/zerotrip.css"></head>
        <body><header class="top"><div class="district">{{district}}人民政府 · 零跑腿政务服务</div><div class="service">{{service}}</div></header>
        {{#signedIn}}<nav class="tabs"><a href="/my/"{{#tabResults}} aria-current="page"{{/tabResults}}>我的文书</a><a href="/my/credit"{{#tabCredit}} aria-current="page"{{/tabCredit}}>信用与承诺</a><a href="/my/messages"{{#tabMessages}} aria-current="page"{{/tabMessages}}>消息</a><a href="/my/access"{{#tabAccess}} aria-current="page"{{/tabAccess}}>谁查看了我的数据</a></nav>{{/signedIn}}
        <main><h1>{{title}}</h1>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{$content}}{{/content}}
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
        <figure class="qr">{{{qrSVG}}}<figcaption>在窗口或自助机出示此二维码，对方扫码即可核验原件内容</figcaption></figure>
        <p><a class="button" href="/my/documents/{{id}}/pdf">下载 PDF 原件</a></p>
        <p class="note">PDF 带有{{department}}的电子印章，任何部门都可扫码或上传核验；请勿修改文件，修改后核验将不通过。</p>
        <p><a href="/my/">返回我的文书</a></p>
        {{/content}}{{/layout}}
        """

    static let credit = """
        {{<layout}}{{$content}}
        {{#stepUp}}<div class="card"><p>查看信用等级和签署承诺需要认证等级 2，您当前是等级 {{tier}}。</p>
        <p>提升方法：① 在线视频核验（工作人员核对本人后即可）；② 到任一政务服务窗口刷身份证，窗口会给您一次性登录码。</p></div>{{/stepUp}}
        {{#assessment}}<p class="level">信用等级 <strong>{{level}}</strong></p><p>{{levelText}}</p><p class="note">评价时间 {{asOf}}，依据信用规则第 {{policyVersion}} 版。</p>{{/assessment}}
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

    static let notice = """
        {{<layout}}{{$content}}
        <p>{{message}}</p>
        {{#retryAfter}}<p class="note">请 {{retryAfter}} 秒后再试。</p>{{/retryAfter}}
        <p><a href="{{back}}">{{backText}}</a></p>
        {{/content}}{{/layout}}
        """

    /// Phone first (320–430 px), large touch targets, no web fonts or outside resources.
    static let css = """
        *{box-sizing:border-box}
        body{font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f4f5f7;color:#1f2328;font-size:16px;line-height:1.5}
        .top{background:#b71c1c;color:#fff;padding:10px 16px}.top .district{font-size:13px;opacity:.9}.top .service{font-size:18px;font-weight:bold}
        .tabs{display:flex;flex-wrap:wrap;background:#fff;border-bottom:1px solid #ddd}
        .tabs a{flex:1 1 auto;text-align:center;padding:12px 8px;color:#1f2328;text-decoration:none;min-height:44px;font-size:15px}
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
        .facts{width:100%;border-collapse:collapse;background:#fff}.facts th,.facts td{padding:10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top;word-break:break-all}
        .facts th{width:34%;color:#666;font-weight:normal}
        .qr{background:#fff;margin:16px 0;padding:16px;text-align:center;border-radius:8px}.qr svg{width:100%;max-width:320px;height:auto}
        .qr figcaption{color:#666;font-size:14px;margin-top:8px}
        .level{font-size:20px}.level strong{font-size:32px;color:#b71c1c}
        .logout{margin-top:32px;display:flex;align-items:center;justify-content:space-between;gap:8px;color:#666;font-size:14px}
        .logout button{margin:0;background:#555;font-size:15px;padding:8px 16px}
        footer{text-align:center;color:#888;font-size:12px;padding:24px 16px}
        """
}
