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
        case .invalidTransition: "办件当前的状态不能进行这一步，请刷新后查看。"
        case .materialsOutstanding: "还有未补交的材料。"
        case .obligationClosed: "这项承诺已经结束。"
        case .overloaded, .databaseBusy, .databaseUnavailable: "系统繁忙，请稍后再试。"
        default: "暂时无法完成这一步（\(error.code.rawValue)），请稍后再试或联系管理员。"
        }
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
