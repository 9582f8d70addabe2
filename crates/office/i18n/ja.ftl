# 職員画面の文言（日本語が原文）。キーは en.ftl と同じものを必ず置く（テストが確かめる）。
app-name = 見守り 防犯カメラ管理
lang-switch = English
lang-name = 日本語
skip-to-main = 本文へ移動
signed-in-as = { $name }（{ $login }）
sign-out = サインアウト
nav-home = 待っている仕事

signin-title = サインイン
signin-lead = 職員のアカウントでサインインしてください。ライブ映像はどこにも表示されません。
signin-login = ログインID
signin-password = パスワード
signin-totp = ワンタイムコード（設定している方のみ）
signin-totp-hint = 認証アプリに表示される6桁の数字
signin-submit = サインイン
signin-failed = サインインできませんでした

home-title = 待っている仕事
home-roles = あなたの役割
home-no-role = 役割がまだ任命されていません。管理責任者に任命を依頼してください。
home-admin-only = システム管理者はアカウントの管理だけを行います（N7.1）。画像の取り出しの手続には加わりません。
home-waiting = あなたの手続を待っている依頼
home-waiting-none = あなたの手続を待っている依頼はありません。
home-alerts = あなた宛ての警報
home-alerts-none = 未解決の警報はありません。
home-pledge = 守秘義務の誓約（N12）がまだです。誓約するまで手続はできません。
home-pledge-submit = 誓約します
home-password-due = パスワードの変更時期です（N3.3.1）。
home-second-factor = この役割ではワンタイムコード（二要素認証）の設定が必要です（N3.3.1）。設定するまで手続はできません。

col-request = 依頼番号
col-kind = 種別
col-state = 状態
col-purpose = 目的
col-next = 次の手続
col-alert-kind = 種類
col-camera = カメラ
col-raised = 発生
col-message = 内容

kind-internal = 区の内部
kind-provision = 外部提供
kind-emergency = 緊急

step-accept = 受理・指示（管理責任者）
step-decline = 不承認
step-instruct = 取り出しの指示（運用責任者）
step-retrieve = 取り出し（専用端末）
step-report = 報告
step-hand_over = 引渡し
step-record_form3 = 様式第3号の受領
step-cancel = 取消し

role-administrator = システム管理者
role-manager = 管理責任者
role-operations_lead = 運用責任者
role-image_handler = 画像取扱員
role-delegated_staff = 捜査機関等事務担当者
role-auditor = 監査担当者

error-title = エラー
error-forbidden = 別のサイトからの送信は受け付けません。

nav-order = 取り出しを指示する
order-title = 画像の取り出しの指示（管理責任者）
order-lead = 目的と理由、画像管理台帳に記す根拠（要領第6条第1項）を入力してください（N9.1）。
order-not-yours = 取り出しの指示は管理責任者が行います。送信しても受け付けられません（N9.1）。
order-purpose = 目的
order-reason = 理由
order-basis = 根拠
order-basis-choose = 選択してください
order-basis-facts = 根拠に必要な記載
order-law = 根拠法令（(a) のとき）
order-document = 照会文書等（(b) のとき）
order-urgency = 緊急の事情（(c) のとき）
order-consent = 同意した本人（(d) のとき）
order-submit = 指示する

req-title = 依頼
req-ordered = 指示（管理責任者）
req-instructed = 指示（運用責任者）
req-expires = 取り出しの期限
req-range = 対象の日時
req-handler = 画像取扱員
req-terminal = 専用端末
req-retrieved = 取り出し
req-reported = 報告

instruct-title = 取り出しの指示（運用責任者）
instruct-lead = 対象のカメラと日時（日本時間）、取り出す画像取扱員と専用端末を指定してください（N9.2）。
instruct-not-yours = 取り出しの指示は運用責任者が行います。送信しても受け付けられません（N9.2）。
instruct-choose = 選択してください
instruct-from = 開始日時
instruct-to = 終了日時
instruct-submit = 指示する

totp-title = ワンタイムコードの設定（二要素認証）
totp-lead = スマートフォン等の認証アプリにシークレットを登録し、表示される6桁のコードを入力してください（N3.3.1）。
totp-start = 設定を始める
totp-enter-secret = 認証アプリに次のシークレットを入力してください。
totp-code = 認証アプリのコード
totp-current = 設定済みのコード（置き換えるときのみ）
totp-confirm = 設定する
home-second-factor-link = ワンタイムコードを設定する

nav-form1 = 画像管理台帳
f1-title = 画像管理台帳（様式第1号）
f1-lead = 画像の取り出しの記録です（N9.3）。記録は改ざんを検出できる台帳から作られます。
f1-from = 指示日（から）
f1-to = 指示日（まで）
f1-all = すべて
f1-filter = 絞り込む
f1-csv = CSV で保存
f1-none = 該当する記録はありません。
f1-serial = 番号
f1-ordered = 指示日時
f1-ordered-by = 指示者
f1-recipient = 提供先
f1-remarks = 備考

nav-cameras = カメラ
cam-title = カメラの録画状況
cam-lead = 各カメラの録画の状況です（N5）。映像は表示しません（N6.3）。帯の緑は録画した時間、赤は録画できなかった時間（原因つき）、灰色は記録のない時間です。
cam-state = 状態
cam-last = 最後の記録
cam-recorded = 本日の録画時間
cam-bytes = 保存容量
cam-today = 本日（0時〜24時）
cam-timeline = 本日の録画の帯
cam-gap = 欠落
cam-no-gap = 本日の欠落はありません
cam-state-recording = 録画中
cam-state-connecting = 接続中
cam-state-retrying = 再接続待ち
cam-state-stopped = 停止
cam-state-unknown = 未接続

nav-ledger = 記録（台帳）
led-title = 改ざん検知の記録
led-lead = 見守りで起きたことはすべて、この記録に順に追記されます。区が署名したチェックポイントにより、後から書き換えられていないことを誰でも確かめられます（N3.2.1）。
led-checkpoint = 最新の署名済みチェックポイント
led-size = 記録の件数
led-time = 時刻
led-root = ルートハッシュ
led-note = 署名済みの文面
led-no-checkpoint = 署名済みチェックポイントはまだありません。
led-verify = 外部からの検証
led-verify-lead = 区の公開鍵とチェックポイントは誰でも取得できます。次のコマンドで記録と証拠パッケージを検証できます。
led-events = 新しい記録（最大200件）
led-filter = 種類または行為者で絞り込む
led-actor = 行為者
led-role = 役割
led-rule = 規定
led-outcome = 結果
