import ZeroTrip

/// What a page tells a person about a refused step, by the error's stable code: written for the applicant or the
/// clerk in front of them, never the English detail meant for developers.
enum ChineseMessages {
    static func text(for error: ZeroTripError) -> String {
        switch error.code {
        case .invalidIDNumber: "身份证号码格式不正确，请核对 18 位号码（末位可以是 X）。"
        case .invalidInput: "填写的内容不完整或格式不正确，请核对后重新提交。"
        case .unauthenticated: "凭证无效或已被吊销，请向本部门管理员确认。"
        case .forbidden: "本窗口无权进行此操作（不是本部门的事项或办件，或凭证缺少相应权限）。"
        case .verificationFailed: "验证码不正确或已过期。请核对短信，或重新获取验证码。"
        case .locked: "验证失败次数过多，已暂时锁定，请稍后再试。"
        case .rateLimited: "请求过于频繁，请稍后再试。"
        case .unknownPerson: "户籍登记中没有此人：请核对身份证号码和姓名。"
        case .unknownMatter: "事项目录中没有这个事项。"
        case .unknownApplication, .notFound: "找不到这个办件。"
        case .primaryMaterialMissing: "缺少主要材料，不能受理。主要材料不适用容缺。"
        case .materialsIncomplete: "材料不齐：请收齐全部材料；如申请人符合条件，可选择容缺受理。"
        case .materialNotTrustEligible: "所缺的材料不在可容缺的范围内，不能容缺受理。"
        case .trustApprovalRefused: "申请人的信用等级不符合容缺受理条件，请按常规办理。"
        case .modeUnavailable: "该事项不适用所选的办理方式。"
        case .commitmentRequired: "容缺受理须先由申请人签署信用承诺。"
        case .identityNotConfirmed: "人证比对未通过，不能签署承诺。"
        case .holderMismatch: "证件信息与办件申请人不一致。"
        case .consentRequired: "申请人尚未授权本部门为此事项调用其电子证照，请申请人在手机上授权或到窗口办理授权。"
        case .consentWithdrawn: "该授权已撤回。"
        case .consentEnded: "该授权已随办件办结而结束，无需撤回。"
        case .alreadyRated: "这项服务您已评价过，每项服务只能评价一次。"
        case .ratingClosed: "评价期已过（办结后 30 天内可评价）。"
        case .unknownIndicator: "积分方案中没有这一项指标。"
        case .noPointsPolicy: "本区尚未发布积分方案。"
        case .noPointsScore: "您还没有积分：每月初系统为所有登记人员自动赋分，请下次赋分后再看。"
        case .claimPending: "这一项您已有一份申请在审核中，请等审核结果。"
        case .alreadyDecided: "这份申请已经审核过了。"
        case .alreadyDisputed: "这一项您已申请过复核，每项只能复核一次。"
        case .sameReviewer: "复核须由另一位审核人员办理。"
        case .notAReviewer: "该工号不是本部门登记的审核人员。"
        case .notASupervisor: "该工号不是本部门登记的督办人员，投诉由督办人员答复。"
        case .complainedClerk: "被投诉的工作人员不能答复对自己的投诉。"
        case .alreadyComplained: "这次服务已有一件投诉在办理，不必重复投诉。"
        case .tooManyOpenComplaints: "您已有 5 件投诉在办理中，请等答复后再提交新的投诉。"
        case .invalidTransition: "办件当前的状态不能进行这一步，请刷新后查看。"
        case .materialsOutstanding: "还有未补交的材料。"
        case .obligationClosed: "这项承诺已经结束。"
        case .overloaded, .databaseBusy, .databaseUnavailable: "系统繁忙，请稍后再试。"
        default: api[error.code.rawValue] ?? "暂时无法完成这一步（\(error.code.rawValue)），请稍后再试或联系管理员。"
        }
    }

    /// The `message` of every JSON error, by code: what the caller (a department's system, an applicant's app) can
    /// show to a person. The English `detail` beside it says exactly what was wrong, for developers.
    static let api: [String: String] = [
        "invalid_input": "请求内容不完整或格式不正确。",
        "malformed_key": "密钥格式不正确。",
        "malformed_certificate": "证书格式不正确。",
        "wrong_passphrase": "密钥口令不正确，服务暂不可用，请联系管理员。",
        "not_initialized": "本区尚未初始化，服务暂不可用。",
        "already_initialized": "本区已经初始化。",
        "unknown_department": "没有这个部门。",
        "duplicate_department": "部门代码已存在。",
        "file_exists": "文件已存在。",
        "insecure_key_file": "密钥文件权限不安全，服务暂不可用，请联系管理员。",
        "missing_key_file": "密钥文件缺失，服务暂不可用，请联系管理员。",
        "missing_passphrase": "缺少密钥口令，服务暂不可用，请联系管理员。",
        "unauthenticated": "需要有效的接口凭证。",
        "forbidden": "无权进行此操作。",
        "not_found": "找不到请求的内容。",
        "method_not_allowed": "此地址不支持该请求方式。",
        "payload_too_large": "提交的内容过大。",
        "unknown_credential": "没有这个凭证。",
        "invalid_configuration": "服务配置有误，暂不可用，请联系管理员。",
        "storage_failure": "数据存储出错，请稍后再试。",
        "crypto_failure": "密码运算出错，请稍后再试。",
        "not_ready": "服务尚未就绪。",
        "no_active_key": "该部门没有可用的电子印章密钥，暂不能签发。",
        "document_not_valid": "文书已撤销或失效，不能进行此操作。",
        "unsupported_character": "内容含有字库不支持的字符。",
        "qr_too_large": "二维码内容过长。",
        "font_unavailable": "字库不可用，暂不能签发。",
        "invalid_id_number": "身份证号码格式不正确。",
        "verification_failed": "身份核验未通过：验证码或核验信息不正确或已过期。",
        "locked": "核验失败次数过多，已暂时锁定，请稍后再试或到窗口核验。",
        "rate_limited": "请求过于频繁，请稍后再试。",
        "session_invalid": "登录已失效，请重新核验身份。",
        "step_up_required": "此操作需要更高的身份认证等级：请视频核验或到窗口刷证。",
        "unknown_person": "户籍登记中没有此人。",
        "seal_algorithm_unsupported": "不支持该印章算法。",
        "holder_mismatch": "持证人与户籍登记不一致。",
        "consent_required": "申请人尚未授权本部门为此事项调用其电子证照。",
        "consent_withdrawn": "该授权已撤回。",
        "consent_ended": "该授权已随办件办结而结束。",
        "already_rated": "这项服务已评价过，每项服务只能评价一次。",
        "rating_closed": "评价期已过（办结后 30 天内可评价）。",
        "unknown_indicator": "积分方案中没有这一项需要申报的指标。",
        "no_points_policy": "尚未发布积分方案。",
        "no_points_score": "还没有积分：每月初系统自动赋分后可查看。",
        "claim_pending": "这一项已有一份申报在审核中。",
        "already_decided": "已经审核过了，每份申报或复核只审核一次。",
        "already_disputed": "这一项已申请过复核，每项只能复核一次。",
        "same_reviewer": "复核须由另一位审核人员办理。",
        "not_a_reviewer": "该工号不是本部门登记的审核人员。",
        "not_a_supervisor": "该工号不是本部门登记的督办人员，投诉由督办人员答复。",
        "complained_clerk": "被投诉的工作人员不能答复对自己的投诉。",
        "already_complained": "这次服务已有一件投诉在办理，不必重复投诉。",
        "too_many_open_complaints": "您已有 5 件投诉在办理中，请等答复后再提交新的投诉。",
        "device_login_failed": "设备登录未通过。",
        "unknown_key": "没有这个密钥。",
        "key_revoked": "密钥已停用。",
        "key_not_active": "密钥尚未启用或已停用。",
        "key_limit_reached": "印章密钥已达到使用上限，暂不能签发，请联系管理员轮换密钥。",
        "identity_key_unavailable": "身份数据密钥不可用，服务暂不可用，请联系管理员。",
        "invalid_catalogue": "事项目录文件有误。",
        "invalid_policy": "信用规则文件有误。",
        "unknown_matter": "事项目录中没有这个事项。",
        "unknown_subject": "没有这个信用主体。",
        "duplicate_subject": "信用主体已存在。",
        "unknown_application": "找不到这个办件。",
        "primary_material_missing": "缺少主要材料，不能受理。",
        "material_not_trust_eligible": "所缺材料不在可容缺的范围内。",
        "materials_incomplete": "材料不齐，请补齐或申请容缺受理。",
        "materials_outstanding": "还有未补交的材料。",
        "trust_approval_refused": "申请人不符合容缺受理条件。",
        "mode_unavailable": "该事项不适用所选的办理方式。",
        "commitment_required": "容缺受理须先签署信用承诺。",
        "invalid_transition": "办件当前的状态不能进行这一步。",
        "obligation_closed": "这项承诺已经结束。",
        "database_busy": "系统繁忙，请稍后再试。",
        "database_unavailable": "数据库暂不可用，请稍后再试。",
        "duplicate_event": "这条信用记录已经登记过。",
        "identity_not_confirmed": "人证比对未通过。",
        "overloaded": "系统繁忙，请稍后再试。",
        "token_unavailable": "电子印章设备暂时无法使用，文书未签发，请稍后再试。",
        "token_pin_incorrect": "电子印章设备口令不正确，服务暂不可用，请联系管理员。",
        "token_pin_locked": "电子印章设备口令已锁定，请联系安全管理员。",
        "token_key_not_found": "电子印章密钥不在设备中，服务暂不可用，请联系管理员。",
        "root_offline": "此项操作需要区级根密钥，根密钥目前离线，请在密钥仪式时办理。",
        "internal_error": "服务内部错误，请稍后再试。",
    ]

    /// The Chinese `message` of `code`; an unlisted code (the router's own `http_…`) still gets one.
    static func apiMessage(_ code: String) -> String {
        api[code] ?? "请求未能完成（\(code)）。"
    }

    /// Why trust-based approval (容缺) is not available, by the credit assessment's reason code.
    static func trustRefusal(_ reason: String, level: String) -> String {
        switch reason {
        case "level_not_qualifying": "信用等级 \(level) 不在可容缺受理的等级（A、B）之内。"
        case "unrepaired_serious_record": "有尚未修复的严重失信记录。"
        case "direct_d": "被列为严重失信主体。"
        case "matter_not_eligible": "该事项不适用容缺受理。"
        default: "不符合容缺受理条件（\(reason)）。"
        }
    }
}
