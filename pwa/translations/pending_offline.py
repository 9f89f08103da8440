T = {
    "刷新使用新版本": "Reload to use it",
    "已打开过或已固定的单位卡片（只含编制数等汇总数字）可以离线查看；人员信息、审批和账户页面只能联网使用。": "Unit cards you opened or pinned (totals such as approved places only) can be read offline; personnel, approvals and account pages need a connection.",
    "新版本已就绪": "A new version is ready",
    "本机保存的单位卡片": "Unit cards kept on this device",
    "现在没有网络连接，这个页面无法打开。": "There is no network connection, so this page cannot be opened.",
    "离线": "Offline",
    "离线副本 · 更新于": "Offline copy · updated",
    "编办": "Bianban",
    "重试": "Try again",
    "已保存到本机：离线时也能查看这些单位卡片（7 天内有效）": "Saved on this device: these unit cards can be read offline (for 7 days)",
    "有单位卡片没能保存，请联网后重试": "Some unit cards could not be saved; try again when online",
    "保存到本机以备离线": "Save on this device for offline use",
}
