# Staff screens in English (the source language is Japanese, ja.ftl). Every key of ja.ftl is here.
app-name = mimamori camera office
lang-switch = 日本語
lang-name = English
skip-to-main = Skip to the main content
signed-in-as = { $name } ({ $login })
sign-out = Sign out
nav-home = My work

signin-title = Sign in
signin-lead = Sign in with your staff account. No live image is shown anywhere.
signin-login = Login
signin-password = Password
signin-totp = One-time code (if you set one up)
signin-totp-hint = The six digits your authenticator app shows
signin-submit = Sign in
signin-failed = You could not be signed in

home-title = My work
home-roles = Your roles
home-no-role = You hold no role yet. Ask the Manager to appoint you.
home-admin-only = The Administrator keeps the accounts only (N7.1) and takes no part in retrieving footage.
home-waiting = Requests waiting for you
home-waiting-none = No request is waiting for you.
home-alerts = Alerts for you
home-alerts-none = No open alert.
home-pledge = You have not yet made the confidentiality pledge (N12). You cannot take any step until you do.
home-pledge-submit = I make the pledge
home-password-due = Your password is due for a change (N3.3.1).
home-second-factor = Your role needs a one-time code (second factor, N3.3.1). You cannot take any step until it is set up.

col-request = Request
col-kind = Kind
col-state = State
col-purpose = Purpose
col-next = Next step
col-alert-kind = Kind
col-camera = Camera
col-raised = Raised
col-message = Message

kind-internal = Ward
kind-provision = Provision
kind-emergency = Emergency

step-accept = Accept and order (Manager)
step-decline = Decline
step-instruct = Instruct a retrieval (Operations lead)
step-retrieve = Retrieve (dedicated terminal)
step-report = Report
step-hand_over = Hand over
step-record_form3 = Record Form 3
step-cancel = Cancel

role-administrator = Administrator
role-manager = Manager
role-operations_lead = Operations lead
role-image_handler = Image handler
role-delegated_staff = Delegated staff
role-auditor = Auditor

error-title = Error
error-forbidden = A form sent from another site is not accepted.

nav-order = Order a retrieval
order-title = Order a retrieval (Manager)
order-lead = Give the purpose, the reason and the basis the footage register records (T6.1) (N9.1).
order-not-yours = The Manager orders retrievals; this form will be refused (N9.1).
order-purpose = Purpose
order-reason = Reason
order-basis = Basis
order-basis-choose = Choose one
order-basis-facts = What the basis needs
order-law = Law (for a)
order-document = The request document (for b)
order-urgency = The urgency (for c)
order-consent = Who consented (for d)
order-submit = Order

req-title = Request
req-ordered = Ordered (Manager)
req-instructed = Instructed (Operations lead)
req-expires = Retrieve by
req-range = Footage from–to
req-handler = Image handler
req-terminal = Dedicated terminal
req-retrieved = Retrieved
req-reported = Reported

instruct-title = Instruct a retrieval (Operations lead)
instruct-lead = Name the camera and the time range (Japan time), the image handler and the dedicated terminal (N9.2).
instruct-not-yours = The Operations lead instructs retrievals; this form will be refused (N9.2).
instruct-choose = Choose one
instruct-from = From
instruct-to = To
instruct-submit = Instruct

totp-title = Set up a one-time code (second factor)
totp-lead = Add the secret to an authenticator app on your phone, then type the six digits it shows (N3.3.1).
totp-start = Start
totp-enter-secret = Enter this secret in your authenticator app.
totp-code = The app's code
totp-current = A code of the factor in force (only to replace it)
totp-confirm = Set up
home-second-factor-link = Set up a one-time code

nav-form1 = Footage register
f1-title = Footage register (Form 1)
f1-lead = The record of every retrieval (N9.3), built from the tamper-evident ledger.
f1-from = Ordered from
f1-to = Ordered until
f1-all = All
f1-filter = Filter
f1-csv = Save as CSV
f1-none = No record matches.
f1-serial = No.
f1-ordered = Ordered
f1-ordered-by = Ordered by
f1-recipient = Given to
f1-remarks = Remarks

nav-cameras = Cameras
cam-title = Recording status of the cameras
cam-lead = How each camera is recording (N5). No image is shown (N6.3). On the bar, green is recorded, red is a gap (with its cause), grey is time with no record.
cam-state = State
cam-last = Last recorded
cam-recorded = Recorded today
cam-bytes = Stored
cam-today = Today (0:00–24:00)
cam-timeline = Today's recording bar
cam-gap = Gap
cam-no-gap = No gap today
cam-state-recording = Recording
cam-state-connecting = Connecting
cam-state-retrying = Waiting to reconnect
cam-state-stopped = Stopped
cam-state-unknown = Not yet connected

nav-ledger = Ledger
led-title = The tamper-evident record
led-lead = Everything that happens in mimamori is appended to this record in order. The checkpoints the ward signs let anyone check later that nothing was rewritten (N3.2.1).
led-checkpoint = The latest signed checkpoint
led-size = Events covered
led-time = Time
led-root = Root hash
led-note = The signed note
led-no-checkpoint = No checkpoint has been signed yet.
led-verify = Verifying from outside
led-verify-lead = The ward's public keys and checkpoints are open to anyone. These commands verify the record and an evidence package.
led-events = Newest events (up to 200)
led-filter = Filter by kind or actor
led-actor = Actor
led-role = Role
led-rule = Rule
led-outcome = Outcome
