//! Alerts as signed-in staff read them, in full (the public health page counts the ones about
//! retrievals, N12).

use mimamori_db::AlertRow;
use mimamori_policy::access::Action;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::OfficeState;

/// Open alerts first, newest first, with their camera and message.
pub async fn list_alerts(office: &OfficeState, caller: &Caller) -> Result<Vec<AlertRow>, ApiError> {
    caller
        .may(office, Action::ReadRecords, "alerts_read")
        .await?;
    Ok(office.db.alerts(500).await?)
}
