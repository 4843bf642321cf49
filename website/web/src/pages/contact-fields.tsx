/** Name, work email, company and venue count: the fields a demo request and a sign-up both ask, ids prefixed per form. */
export function ContactFields({ prefix, venuesLabel, maxVenues }: { prefix: string; venuesLabel: string; maxVenues: number }) {
  return (
    <>
      <label htmlFor={`${prefix}-name`}>Your name</label>
      <input id={`${prefix}-name`} name="name" autoComplete="name" required />
      <label htmlFor={`${prefix}-email`}>Work email</label>
      <input id={`${prefix}-email`} name="email" type="email" autoComplete="email" required />
      <label htmlFor={`${prefix}-company`}>Company</label>
      <input id={`${prefix}-company`} name="company" autoComplete="organization" required />
      <label htmlFor={`${prefix}-venues`}>{venuesLabel}</label>
      <input id={`${prefix}-venues`} name="venues" type="number" min={1} max={maxVenues} defaultValue={1} required />
    </>
  )
}
