-- CallExpert Console: the Book page's customer search, by name.
--
-- The search asks for the first customers by name and email whose name or email contains what
-- was typed, with a limit. With this index PostgreSQL walks the customers in that order and stops
-- at the limit when there are many matches, instead of reading and sorting every customer.
create index if not exists users_name on public.users (name, email);
