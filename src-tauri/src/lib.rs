//! The desktop shell: Tauri commands that validate nothing and decide nothing themselves; each
//! calls one method of [`medoffice_client::Workstation`]. Events: `sync-status` (a
//! [`SyncStatus`]) and `cache-changed` (a [`CacheChanged`]).
//!
//! Environment (for support staff and tests): `MEDOFFICE_DATA_DIR` (where the cache lives),
//! `MEDOFFICE_KEYRING_SERVICE` (keyring namespace), `MEDOFFICE_SERVER_URL` (login prefill),
//! `MEDOFFICE_OFFLINE_UNLOCK_HOURS`, `MEDOFFICE_ALLOW_INSECURE_HTTP` and `MEDOFFICE_CA_CERT`
//! (see [`WorkstationConfig`]).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use chrono::{NaiveDate, NaiveTime};
use medoffice_client::account::{TotpEnabled, TotpSetupView};
use medoffice_client::admin::AuditExport;
use medoffice_client::hours::AvailabilityView;
use medoffice_client::rooms::FlowBoard;
use medoffice_client::series::SeriesPlan;
use medoffice_client::view::{
    AppointmentRow, CacheChanged, CommandError, ConflictChoice, EscalationAck, Local, PatientChart,
    ReviewList, SessionState, SyncStatus,
};
use medoffice_client::{Workstation, WorkstationConfig};
use medoffice_model::{
    AppointmentStatus, AuditFilter, AuditPage, Availability, AvailabilityUpdate, CreatedUser,
    NewAppointment, NewPatient, NewScheduleBlock, NewUser, NewVisitType, NewVitalSigns, Patient,
    Recurrence, Room, RoomPatch, ScheduleBlock, StaffMember, TemporaryPassword, TenantInfo,
    TenantPatch, UserInfo, UserPatch, VisitType, VisitTypePatch, VitalSigns, VitalSignsCorrection,
};
use tauri::{Emitter, Manager, Runtime, State};
use uuid::Uuid;

/// The app's state: one workstation core.
pub struct AppState {
    ws: Workstation,
}

type Res<T> = Result<T, CommandError>;

#[tauri::command(rename_all = "snake_case")]
async fn session_state(state: State<'_, AppState>) -> Res<SessionState> {
    let mut s = state.ws.session_state().await;
    if s.server_url.is_none() {
        s.server_url = std::env::var("MEDOFFICE_SERVER_URL").ok();
    }
    Ok(s)
}

#[tauri::command(rename_all = "snake_case")]
async fn login(
    state: State<'_, AppState>,
    server_url: String,
    tenant: String,
    username: String,
    password: String,
    totp_code: Option<String>,
) -> Res<UserInfo> {
    let code = totp_code.as_deref();
    state
        .ws
        .login_with_code(&server_url, &tenant, &username, &password, code)
        .await
}

#[tauri::command(rename_all = "snake_case")]
async fn cancel_sign_in(state: State<'_, AppState>) -> Res<()> {
    state.ws.cancel_sign_in().await
}

#[tauri::command(rename_all = "snake_case")]
async fn pending_sign_in(state: State<'_, AppState>) -> Res<Option<UserInfo>> {
    Ok(state.ws.pending_sign_in().await)
}

#[tauri::command(rename_all = "snake_case")]
async fn change_password(
    state: State<'_, AppState>,
    current_password: String,
    new_password: String,
) -> Res<UserInfo> {
    state
        .ws
        .change_password(&current_password, &new_password)
        .await
}

#[tauri::command(rename_all = "snake_case")]
async fn totp_setup(state: State<'_, AppState>) -> Res<TotpSetupView> {
    state.ws.totp_setup().await
}

#[tauri::command(rename_all = "snake_case")]
async fn totp_confirm(state: State<'_, AppState>, code: String) -> Res<TotpEnabled> {
    state.ws.totp_confirm(&code).await
}

#[tauri::command(rename_all = "snake_case")]
async fn totp_disable(state: State<'_, AppState>, password: String) -> Res<UserInfo> {
    state.ws.totp_disable(&password).await
}

#[tauri::command(rename_all = "snake_case")]
async fn my_account(state: State<'_, AppState>) -> Res<UserInfo> {
    state.ws.my_account().await
}

#[tauri::command(rename_all = "snake_case")]
async fn list_users(state: State<'_, AppState>) -> Res<Vec<UserInfo>> {
    state.ws.list_users().await
}

#[tauri::command(rename_all = "snake_case")]
async fn create_user(state: State<'_, AppState>, user: NewUser) -> Res<CreatedUser> {
    state.ws.create_user(user).await
}

#[tauri::command(rename_all = "snake_case")]
async fn update_user(state: State<'_, AppState>, user_id: Uuid, patch: UserPatch) -> Res<UserInfo> {
    state.ws.update_user(user_id, patch).await
}

#[tauri::command(rename_all = "snake_case")]
async fn reset_user_password(state: State<'_, AppState>, user_id: Uuid) -> Res<TemporaryPassword> {
    state.ws.reset_user_password(user_id).await
}

#[tauri::command(rename_all = "snake_case")]
async fn reset_user_totp(state: State<'_, AppState>, user_id: Uuid) -> Res<UserInfo> {
    state.ws.reset_user_totp(user_id).await
}

#[tauri::command(rename_all = "snake_case")]
async fn clinic_settings(state: State<'_, AppState>) -> Res<TenantInfo> {
    state.ws.clinic_settings().await
}

#[tauri::command(rename_all = "snake_case")]
async fn update_clinic_settings(state: State<'_, AppState>, patch: TenantPatch) -> Res<TenantInfo> {
    state.ws.update_clinic_settings(patch).await
}

#[tauri::command(rename_all = "snake_case")]
async fn audit_log(state: State<'_, AppState>, filter: AuditFilter) -> Res<AuditPage> {
    state.ws.audit_log(filter).await
}

/// Asks where to save an audit export with the system's save dialog (a CSV file named for now,
/// in Downloads, to start with): the path chosen, or null when the person closed the dialog.
#[tauri::command(rename_all = "snake_case")]
async fn choose_export_path<R: Runtime>(
    app: tauri::AppHandle<R>,
    window: tauri::WebviewWindow<R>,
    state: State<'_, AppState>,
) -> Res<Option<String>> {
    use tauri_plugin_dialog::DialogExt;
    let suggested = PathBuf::from(state.ws.suggested_export_path().await?);
    let mut dialog = app
        .dialog()
        .file()
        .set_title("Export the audit log")
        .add_filter("CSV (spreadsheet)", &["csv"])
        .set_parent(&window);
    if let Some(dir) = suggested.parent() {
        dialog = dialog.set_directory(dir);
    }
    if let Some(name) = suggested.file_name() {
        dialog = dialog.set_file_name(name.to_string_lossy());
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog.save_file(move |chosen| {
        let _ = tx.send(chosen);
    });
    // GTK saves a name typed without an extension as it is: a spreadsheet needs `.csv`
    Ok(rx
        .await
        .ok()
        .flatten()
        .and_then(|p| p.into_path().ok())
        .map(|p| {
            if p.extension().is_none() {
                p.with_extension("csv")
            } else {
                p
            }
        })
        .map(|p| p.to_string_lossy().into_owned()))
}

#[tauri::command(rename_all = "snake_case")]
async fn export_audit(
    state: State<'_, AppState>,
    filter: AuditFilter,
    path: Option<String>,
) -> Res<AuditExport> {
    state.ws.export_audit(filter, path).await
}

#[tauri::command(rename_all = "snake_case")]
async fn logout(state: State<'_, AppState>, wipe: bool, force: bool) -> Res<()> {
    state.ws.logout(wipe, force).await
}

/// Remembers the server address and clinic code of the sign-in form (Settings), checked.
#[tauri::command(rename_all = "snake_case")]
async fn save_sign_in_defaults(
    state: State<'_, AppState>,
    server_url: String,
    tenant: String,
) -> Res<SessionState> {
    state.ws.save_sign_in_defaults(&server_url, &tenant).await
}

#[tauri::command(rename_all = "snake_case")]
async fn unsent_changes(state: State<'_, AppState>) -> Res<u32> {
    state.ws.unsent_changes().await
}

#[tauri::command(rename_all = "snake_case")]
async fn lock(state: State<'_, AppState>) -> Res<()> {
    state.ws.lock().await
}

#[tauri::command(rename_all = "snake_case")]
async fn unlock(state: State<'_, AppState>, password: String) -> Res<()> {
    state.ws.unlock(&password).await
}

#[tauri::command(rename_all = "snake_case")]
async fn sync_status(state: State<'_, AppState>) -> Res<SyncStatus> {
    Ok(state.ws.status())
}

#[tauri::command(rename_all = "snake_case")]
async fn search_patients(
    state: State<'_, AppState>,
    query: String,
    limit: usize,
) -> Res<Vec<Local<Patient>>> {
    state.ws.search_patients(&query, limit).await
}

/// What the search box understood: names, dates of birth (both readings when ambiguous), digits.
#[tauri::command(rename_all = "snake_case")]
async fn interpret_search(query: String) -> Res<Vec<medoffice_model::search::SearchTerm>> {
    Ok(medoffice_model::search::parse_query(&query))
}

#[tauri::command(rename_all = "snake_case")]
async fn possible_duplicates(
    state: State<'_, AppState>,
    given_name: String,
    family_name: String,
    date_of_birth: NaiveDate,
) -> Res<Vec<medoffice_client::duplicates::PossibleDuplicate>> {
    state
        .ws
        .possible_duplicates(&given_name, &family_name, date_of_birth)
        .await
}

#[tauri::command(rename_all = "snake_case")]
async fn patient_chart(state: State<'_, AppState>, patient_id: Uuid) -> Res<PatientChart> {
    state.ws.patient_chart(patient_id).await
}

#[tauri::command(rename_all = "snake_case")]
async fn register_patient(state: State<'_, AppState>, patient: NewPatient) -> Res<Local<Patient>> {
    state.ws.register_patient(patient).await
}

#[tauri::command(rename_all = "snake_case")]
async fn record_vitals(
    state: State<'_, AppState>,
    patient_id: Uuid,
    vitals: NewVitalSigns,
) -> Res<Local<VitalSigns>> {
    state.ws.record_vitals(patient_id, vitals).await
}

#[tauri::command(rename_all = "snake_case")]
async fn merge_patient(
    state: State<'_, AppState>,
    patient_id: Uuid,
    merge: medoffice_model::PatientMerge,
) -> Res<Local<Patient>> {
    state.ws.merge_patient(patient_id, merge).await
}

#[tauri::command(rename_all = "snake_case")]
async fn correct_vitals(
    state: State<'_, AppState>,
    vital_signs_id: Uuid,
    correction: VitalSignsCorrection,
) -> Res<Local<VitalSigns>> {
    state.ws.correct_vitals(vital_signs_id, correction).await
}

#[tauri::command(rename_all = "snake_case")]
async fn acknowledge_escalation(
    state: State<'_, AppState>,
    patient_id: Uuid,
    vital_signs_id: Uuid,
) -> Res<EscalationAck> {
    state
        .ws
        .acknowledge_escalation(patient_id, vital_signs_id)
        .await
}

#[tauri::command(rename_all = "snake_case")]
async fn day_appointments(
    state: State<'_, AppState>,
    date: NaiveDate,
    provider_id: Option<Uuid>,
) -> Res<Vec<AppointmentRow>> {
    state.ws.day_appointments(date, provider_id).await
}

/// Bookings of the clinic-local days `from` to `to_inclusive` (a week view), optionally of one provider.
#[tauri::command(rename_all = "snake_case")]
async fn appointments_between_dates(
    state: State<'_, AppState>,
    from: NaiveDate,
    to_inclusive: NaiveDate,
    provider_id: Option<Uuid>,
) -> Res<Vec<AppointmentRow>> {
    state
        .ws
        .appointments_between_dates(from, to_inclusive, provider_id)
        .await
}

/// Reschedules a booking (new start, length, provider); a clash is refused naming the other booking.
#[tauri::command(rename_all = "snake_case")]
async fn move_appointment(
    state: State<'_, AppState>,
    appointment_id: Uuid,
    starts_at: DateTime<Utc>,
    duration_minutes: i32,
    provider_id: Uuid,
    outside_hours_reason: Option<String>,
) -> Res<AppointmentRow> {
    state
        .ws
        .move_appointment(
            appointment_id,
            starts_at,
            duration_minutes,
            provider_id,
            outside_hours_reason,
        )
        .await
}

/// The clinic's opening hours, providers' working hours, blocks and bookable time for the
/// clinic-local days `from`..=`to_inclusive`, from the cache (offline too).
#[tauri::command(rename_all = "snake_case")]
async fn availability(
    state: State<'_, AppState>,
    from: NaiveDate,
    to_inclusive: NaiveDate,
) -> Res<AvailabilityView> {
    state.ws.availability(from, to_inclusive).await
}

/// Sets the clinic's opening hours (`provider_id` null) or a provider's working hours (admin, online).
#[tauri::command(rename_all = "snake_case")]
async fn set_hours(
    state: State<'_, AppState>,
    provider_id: Option<Uuid>,
    update: AvailabilityUpdate,
) -> Res<Availability> {
    state.ws.set_hours(provider_id, update).await
}

/// Clears the clinic's opening hours (`provider_id` null) or a provider's own hours (admin, online).
#[tauri::command(rename_all = "snake_case")]
async fn clear_hours(state: State<'_, AppState>, provider_id: Option<Uuid>) -> Res<()> {
    state.ws.clear_hours(provider_id).await
}

/// Blocks time: a closed date or a provider's leave or meeting (admin, online).
#[tauri::command(rename_all = "snake_case")]
async fn add_schedule_block(
    state: State<'_, AppState>,
    block: NewScheduleBlock,
) -> Res<ScheduleBlock> {
    state.ws.add_schedule_block(block).await
}

/// Every block that has not ended yet, however far ahead (from the cache).
#[tauri::command(rename_all = "snake_case")]
async fn upcoming_blocks(state: State<'_, AppState>) -> Res<Vec<ScheduleBlock>> {
    state.ws.upcoming_blocks().await
}

/// Today's flow board: every provider's visits with where each stands, and the rooms.
#[tauri::command(rename_all = "snake_case")]
async fn flow_board(state: State<'_, AppState>) -> Res<FlowBoard> {
    state.ws.flow_board().await
}

/// The clinic's rooms (out-of-use ones too).
#[tauri::command(rename_all = "snake_case")]
async fn rooms(state: State<'_, AppState>) -> Res<Vec<Room>> {
    state.ws.rooms().await
}

/// Shows a checked-in patient to a room, or back to the waiting room (`room_id` null).
#[tauri::command(rename_all = "snake_case")]
async fn set_appointment_room(
    state: State<'_, AppState>,
    appointment_id: Uuid,
    room_id: Option<Uuid>,
) -> Res<AppointmentRow> {
    state.ws.set_appointment_room(appointment_id, room_id).await
}

/// Adds a room (admin, online).
#[tauri::command(rename_all = "snake_case")]
async fn add_room(state: State<'_, AppState>, name: String) -> Res<Room> {
    state.ws.add_room(name).await
}

/// Renames a room or takes it out of (or back into) use (admin, online).
#[tauri::command(rename_all = "snake_case")]
async fn update_room(state: State<'_, AppState>, room_id: Uuid, patch: RoomPatch) -> Res<Room> {
    state.ws.update_room(room_id, patch).await
}

/// The occurrences of a recurring visit, each checked against this workstation's schedule and hours.
#[tauri::command(rename_all = "snake_case")]
async fn plan_series(
    state: State<'_, AppState>,
    appointment: NewAppointment,
    recurrence: Recurrence,
) -> Res<SeriesPlan> {
    state.ws.plan_series(appointment, recurrence).await
}

/// Books a recurring visit: one booking per start, all linked to one series.
#[tauri::command(rename_all = "snake_case")]
async fn book_series(
    state: State<'_, AppState>,
    appointment: NewAppointment,
    starts: Vec<DateTime<Utc>>,
) -> Res<Vec<AppointmentRow>> {
    state.ws.book_series(appointment, starts).await
}

/// Cancels this occurrence and every later one of its series.
#[tauri::command(rename_all = "snake_case")]
async fn cancel_series_from(
    state: State<'_, AppState>,
    appointment_id: Uuid,
    note: String,
) -> Res<usize> {
    state.ws.cancel_series_from(appointment_id, note).await
}

/// Moves this occurrence and every later one of its series to a time of day, provider and length.
#[tauri::command(rename_all = "snake_case")]
async fn move_series_from(
    state: State<'_, AppState>,
    appointment_id: Uuid,
    time: NaiveTime,
    duration_minutes: i32,
    provider_id: Uuid,
) -> Res<usize> {
    state
        .ws
        .move_series_from(appointment_id, time, duration_minutes, provider_id)
        .await
}

/// The clinic's visit types (retired ones too).
#[tauri::command(rename_all = "snake_case")]
async fn visit_types(state: State<'_, AppState>) -> Res<Vec<VisitType>> {
    state.ws.visit_types().await
}

/// Adds a visit type (admin, online).
#[tauri::command(rename_all = "snake_case")]
async fn add_visit_type(state: State<'_, AppState>, visit_type: NewVisitType) -> Res<VisitType> {
    state.ws.add_visit_type(visit_type).await
}

/// Changes or retires a visit type (admin, online).
#[tauri::command(rename_all = "snake_case")]
async fn update_visit_type(
    state: State<'_, AppState>,
    visit_type_id: Uuid,
    patch: VisitTypePatch,
) -> Res<VisitType> {
    state.ws.update_visit_type(visit_type_id, patch).await
}

/// Removes a block (admin, online).
#[tauri::command(rename_all = "snake_case")]
async fn remove_schedule_block(state: State<'_, AppState>, block_id: Uuid) -> Res<()> {
    state.ws.remove_schedule_block(block_id).await
}

#[tauri::command(rename_all = "snake_case")]
async fn book_appointment(
    state: State<'_, AppState>,
    appointment: NewAppointment,
) -> Res<AppointmentRow> {
    state.ws.book_appointment(appointment).await
}

#[tauri::command(rename_all = "snake_case")]
async fn set_appointment_status(
    state: State<'_, AppState>,
    appointment_id: Uuid,
    status: AppointmentStatus,
    note: Option<String>,
) -> Res<AppointmentRow> {
    state
        .ws
        .set_appointment_status(appointment_id, status, note)
        .await
}

#[tauri::command(rename_all = "snake_case")]
async fn staff(state: State<'_, AppState>) -> Res<Vec<StaffMember>> {
    state.ws.staff().await
}

#[tauri::command(rename_all = "snake_case")]
async fn clinic_today(state: State<'_, AppState>) -> Res<NaiveDate> {
    state.ws.clinic_today().await
}

#[tauri::command(rename_all = "snake_case")]
async fn unlock_offline(
    state: State<'_, AppState>,
    tenant: String,
    username: String,
    password: String,
) -> Res<UserInfo> {
    state.ws.unlock_offline(&tenant, &username, &password).await
}

#[tauri::command(rename_all = "snake_case")]
async fn edit_patient(
    state: State<'_, AppState>,
    patient_id: Uuid,
    changes: serde_json::Map<String, serde_json::Value>,
) -> Res<Local<Patient>> {
    state.ws.edit_patient(patient_id, changes).await
}

#[tauri::command(rename_all = "snake_case")]
async fn review_list(state: State<'_, AppState>) -> Res<ReviewList> {
    state.ws.review_list().await
}

#[tauri::command(rename_all = "snake_case")]
async fn resolve_conflict(
    state: State<'_, AppState>,
    conflict_id: Uuid,
    choice: ConflictChoice,
) -> Res<()> {
    state.ws.resolve_conflict(conflict_id, choice).await
}

#[tauri::command(rename_all = "snake_case")]
async fn resend(
    state: State<'_, AppState>,
    mutation_id: Uuid,
    data: Option<serde_json::Value>,
) -> Res<Uuid> {
    state.ws.resend(mutation_id, data).await
}

#[tauri::command(rename_all = "snake_case")]
async fn rebook(
    state: State<'_, AppState>,
    mutation_id: Uuid,
    starts_at: DateTime<Utc>,
    provider_id: Uuid,
    duration_minutes: i32,
) -> Res<Uuid> {
    state
        .ws
        .rebook(mutation_id, starts_at, provider_id, duration_minutes)
        .await
}

#[tauri::command(rename_all = "snake_case")]
async fn discard(state: State<'_, AppState>, mutation_id: Uuid) -> Res<usize> {
    state.ws.discard(mutation_id).await
}

#[tauri::command(rename_all = "snake_case")]
async fn dismiss_duplicate(state: State<'_, AppState>, a: Uuid, b: Uuid) -> Res<()> {
    state.ws.dismiss_duplicate(a, b).await
}

fn open_workstation(app: &tauri::App) -> Result<Workstation, Box<dyn std::error::Error>> {
    let data_dir = match std::env::var_os("MEDOFFICE_DATA_DIR") {
        Some(d) => PathBuf::from(d),
        None => app.path().app_data_dir()?,
    };
    let mut config = WorkstationConfig::in_dir(
        data_dir,
        std::env::var("MEDOFFICE_KEYRING_SERVICE").unwrap_or_else(|_| "medoffice".into()),
    )?;
    if let Some(h) = std::env::var("MEDOFFICE_OFFLINE_UNLOCK_HOURS")
        .ok()
        .and_then(|h| h.parse().ok())
    {
        config.offline_unlock_hours = h;
    }
    let ws = Workstation::open(config)?;
    Ok(ws)
}

/// Starts the desktop app.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let result = app(tauri::Builder::default())
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let ws = open_workstation(app)?;
            attach(app, ws);
            Ok(())
        })
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(e) = result {
        tracing::error!(error = %e, "the desktop app failed");
        std::process::exit(1);
    }
}

/// Puts workstation `ws` behind the commands of `app` (the app, or its handle): resumes its
/// last session from the keyring (the cache is usable at once, online or not) and forwards its
/// `sync-status` and `cache-changed` events to the UI. [`run`] calls it at setup.
pub fn attach<R: Runtime, M: Manager<R>>(app: &M, ws: Workstation) {
    // Resume the last session from the keyring: the cache is usable at once, online or not.
    if let Err(e) = tauri::async_runtime::block_on(ws.resume()) {
        tracing::warn!(error = %e, "could not resume the last session");
    }
    let handle = app.app_handle().clone();
    let mut status = ws.subscribe_status();
    tauri::async_runtime::spawn(async move {
        loop {
            let s = status.borrow_and_update().clone();
            let _ = handle.emit("sync-status", s);
            if status.changed().await.is_err() {
                break;
            }
        }
    });
    let handle = app.app_handle().clone();
    let mut changes = ws.subscribe_changes();
    tauri::async_runtime::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(c) => {
                    let _ = handle.emit("cache-changed", c);
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    // missed some: every screen reads again
                    let all = CacheChanged {
                        entities: medoffice_model::EntityKind::ALL.to_vec(),
                    };
                    let _ = handle.emit("cache-changed", all);
                }
                Err(_) => break,
            }
        }
    });
    app.manage(AppState { ws });
}

/// Every command of the desktop app on `builder`, for any Tauri runtime: [`run`] passes the
/// real one's, command tests `tauri::test::mock_builder()` (then [`attach`] a workstation).
pub fn app<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        session_state,
        login,
        logout,
        unsent_changes,
        save_sign_in_defaults,
        lock,
        unlock,
        sync_status,
        search_patients,
        interpret_search,
        possible_duplicates,
        patient_chart,
        register_patient,
        record_vitals,
        acknowledge_escalation,
        correct_vitals,
        merge_patient,
        day_appointments,
        appointments_between_dates,
        move_appointment,
        availability,
        set_hours,
        clear_hours,
        add_schedule_block,
        remove_schedule_block,
        upcoming_blocks,
        plan_series,
        book_series,
        cancel_series_from,
        move_series_from,
        flow_board,
        rooms,
        set_appointment_room,
        add_room,
        update_room,
        visit_types,
        add_visit_type,
        update_visit_type,
        book_appointment,
        set_appointment_status,
        staff,
        clinic_today,
        unlock_offline,
        edit_patient,
        review_list,
        resolve_conflict,
        resend,
        rebook,
        discard,
        dismiss_duplicate,
        cancel_sign_in,
        pending_sign_in,
        change_password,
        totp_setup,
        totp_confirm,
        totp_disable,
        my_account,
        list_users,
        create_user,
        update_user,
        reset_user_password,
        reset_user_totp,
        clinic_settings,
        update_clinic_settings,
        audit_log,
        choose_export_path,
        export_audit
    ])
}

#[cfg(test)]
mod tests {
    //! The commands through Tauri's IPC on its mock runtime: the shell as the UI calls it, with
    //! no window system and no server.

    use serde_json::{json, Value};
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{mock_builder, MockRuntime, INVOKE_KEY};
    use tauri::webview::InvokeRequest;
    use tauri::WebviewWindow;

    use super::*;

    /// The app on the mock runtime over a workstation in a scratch folder, and its window.
    struct Shell {
        _dir: tempfile::TempDir,
        _app: tauri::App<MockRuntime>,
        window: WebviewWindow<MockRuntime>,
    }

    fn shell() -> Shell {
        let dir = tempfile::tempdir().expect("scratch folder");
        let config = WorkstationConfig::in_dir(dir.path().to_path_buf(), "medoffice-desktop-test")
            .expect("workstation folder");
        // the app's own context (its configuration and permissions), on the mock runtime
        let app = app(mock_builder())
            .build(tauri::generate_context!("../tauri.conf.json"))
            .expect("the app builds on the mock runtime");
        attach(
            &app,
            Workstation::open(config).expect("the workstation opens"),
        );
        let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("a window");
        Shell {
            _dir: dir,
            _app: app,
            window,
        }
    }

    impl Shell {
        /// Calls command `cmd` with `args` as the UI does: the answer, or the error it rejects with.
        fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
            tauri::test::get_ipc_response(
                &self.window,
                InvokeRequest {
                    cmd: cmd.into(),
                    callback: CallbackFn(0),
                    error: CallbackFn(1),
                    // the page the app serves itself (Linux and macOS; Windows: http://tauri.localhost)
                    url: "tauri://localhost".parse().expect("url"),
                    body: InvokeBody::Json(args),
                    headers: Default::default(),
                    invoke_key: INVOKE_KEY.to_string(),
                },
            )
            .map(|body| body.deserialize::<Value>().expect("a JSON answer"))
        }
    }

    #[test]
    fn interpret_search_says_what_the_search_box_understood() {
        let shell = shell();
        let terms = shell
            .invoke("interpret_search", json!({"query": "garc 03/04/1990"}))
            .expect("no error");
        assert_eq!(terms[0], json!({"kind": "name", "value": "garc"}));
        assert_eq!(terms[1]["kind"], "birth_date");
        assert_eq!(
            terms[1]["value"].as_array().map(Vec::len),
            Some(2),
            "an ambiguous date is read both ways: {terms}"
        );
    }

    #[test]
    fn commands_that_need_a_session_answer_not_signed_in() {
        let shell = shell();
        for (cmd, args) in [
            ("search_patients", json!({"query": "garc", "limit": 10})),
            ("staff", json!({})),
            ("lock", json!({})),
        ] {
            let err = shell.invoke(cmd, args).expect_err(cmd);
            let err: CommandError = serde_json::from_value(err).expect("a CommandError");
            assert_eq!(
                err.code,
                medoffice_client::view::ErrorCode::NotSignedIn,
                "{cmd}: {err:?}"
            );
        }
        let status = shell.invoke("sync_status", json!({})).expect("no error");
        assert_eq!(status["state"], "signed_out");
    }

    #[test]
    fn sign_in_defaults_are_checked_then_prefill_the_form() {
        let shell = shell();
        let state = shell.invoke("session_state", json!({})).expect("no error");
        assert_eq!(state["user"], Value::Null);
        assert_eq!(state["locked"], false);

        let err = shell
            .invoke(
                "save_sign_in_defaults",
                json!({"server_url": "http://192.0.2.10:8080", "tenant": "Not A Code!"}),
            )
            .expect_err("plain HTTP to another computer and a bad clinic code are refused");
        let err: CommandError = serde_json::from_value(err).expect("a CommandError");
        assert_eq!(err.code, medoffice_client::view::ErrorCode::Validation);
        let fields = serde_json::to_value(err.fields.expect("field errors")).expect("json");
        assert!(fields.get("server_url").is_some(), "{fields}");
        assert!(fields.get("tenant").is_some(), "{fields}");

        let state = shell
            .invoke(
                "save_sign_in_defaults",
                json!({"server_url": "https://clinic.example:8443/", "tenant": "Riverside"}),
            )
            .expect("saved");
        assert_eq!(state["server_url"], "https://clinic.example:8443");
        assert_eq!(state["tenant"], "riverside");
        let again = shell.invoke("session_state", json!({})).expect("no error");
        assert_eq!(again["tenant"], "riverside");
    }
}
