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
