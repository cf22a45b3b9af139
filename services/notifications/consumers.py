"""Event handlers of the notifications service."""

from services.notifications import service
from services.notifications.rendering import booking_confirmation
from services.notifications.service import DeliveryDispatcher
from services.notifications.settings import NotificationsSettings
from shared.consumer import Handler
from shared.contracts.appointments import AppointmentBooked
from shared.messages import Contract, EventEnvelope
from shared.unit_of_work import UnitOfWork


def handlers(settings: NotificationsSettings, dispatcher: DeliveryDispatcher) -> dict[type[Contract], Handler]:
    async def on_appointment_booked(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AppointmentBooked)
        if event.patient.email:
            message = booking_confirmation(event, settings.portal_base_url)
            await service.record_delivery(
                uow, envelope, "appointment_booked", service.EMAIL, event.patient.email, event.language, message
            )
            uow.after_commit(dispatcher.wake)

    return {AppointmentBooked: on_appointment_booked}
